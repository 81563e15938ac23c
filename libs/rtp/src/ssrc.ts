/**
 * The one text form of an SSRC wherever it leaves the service (lease `ssrc`, `ssrcSeen`,
 * event details, webhooks): GB28181 writes SSRCs as 10 decimal digits ("0200000001": the
 * first digit says live or playback), so 200000001 and "0200000001" name the same SSRC and
 * both come out as "0200000001". (The ZLMediaKit API keeps numbers, as ZLMediaKit does.)
 */
export function canonicalSsrc(ssrc: number | string): string {
  return String(Number(ssrc)).padStart(10, '0');
}
