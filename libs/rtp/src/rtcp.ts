/**
 * RTCP shares the connection with RTP (RFC 2326 channel 1, or a device that sends RTCP on the
 * RTP port). RFC 5761 section 4: the second byte of RTCP is a packet type 200..204 (SR, RR,
 * SDES, BYE, APP), which read as RTP marker+payload type is 72..76 with the marker set. RTP
 * payload types 72..76 are reserved for exactly this reason, so masking the marker bit and
 * comparing against 72..76 is unambiguous.
 */
export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

/** RTCP minimum: 4-byte common header plus the sender SSRC (an empty RR). */
export const RTCP_MIN_BYTES = 8;

/** True when the packet's second byte is an RTCP packet type (marker bit masked). */
export function isRtcp(buf: Buffer, start: number): boolean {
  const pt = buf[start + 1] & 0x7f;
  return pt >= 72 && pt <= 76;
}

/** Counts of RTCP traffic; the gateway only reports them, it does not act on them. */
export class RtcpCounters {
  packets = 0;
  senderReports = 0;
  receiverReports = 0;
  byes = 0;
  other = 0;
  /** Compound packets whose length words do not add up to the frame (counted, not fatal). */
  malformed = 0;

  /**
   * Walks a compound RTCP packet (RFC 3550 6.1: several packets back to back, each with a
   * length in 32-bit words minus one) and counts each part by type.
   */
  count(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos + 4 <= end) {
      if (buf[pos] >> 6 !== 2) break;
      const type = buf[pos + 1];
      const bytes = (((buf[pos + 2] << 8) | buf[pos + 3]) + 1) * 4;
      if (pos + bytes > end) break;
      this.packets++;
      if (type === RTCP_SR) this.senderReports++;
      else if (type === RTCP_RR) this.receiverReports++;
      else if (type === RTCP_BYE) this.byes++;
      else this.other++;
      pos += bytes;
    }
    if (pos !== end) this.malformed++;
  }
}
