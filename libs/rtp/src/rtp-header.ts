/**
 * RTP fixed header (RFC 3550 5.1), parsed into a caller-owned object so that parsing a packet
 * allocates nothing: the ingest keeps one `RtpHeader` and refills it for every packet. The
 * payload is reported as offsets; take `buf.subarray(h.payloadStart, h.payloadEnd)` only when
 * a Buffer is really needed.
 */
export class RtpHeader {
  version = 0;
  padding = false;
  extension = false;
  csrcCount = 0;
  marker = false;
  payloadType = 0;
  sequence = 0;
  /** Unsigned 32-bit RTP timestamp. */
  timestamp = 0;
  /** Unsigned 32-bit SSRC. */
  ssrc = 0;
  /** Header extension profile (RFC 3550 5.3.1) or -1 without an extension. */
  extensionProfile = -1;
  /** Offsets of the extension data (after its 4-byte header); equal when absent. */
  extensionStart = 0;
  extensionEnd = 0;
  /** Padding bytes removed from the end (the last byte's value when P is set). */
  paddingLength = 0;
  payloadStart = 0;
  payloadEnd = 0;

  get payloadLength(): number {
    return this.payloadEnd - this.payloadStart;
  }
}

/** Result of `parseRtp`; a number so that the hot path never builds an object for it. */
export const RtpParse = {
  ok: 0,
  tooShort: 1,
  badVersion: 2,
  /** The CSRC list runs past the end of the packet. */
  badCsrc: 3,
  /** The header extension runs past the end of the packet. */
  badExtension: 4,
  /** The padding count is 0 or larger than what follows the header. */
  badPadding: 5,
} as const;
export type RtpParseResult = (typeof RtpParse)[keyof typeof RtpParse];

/**
 * Parses the RTP packet `buf[start..end)` into `out`. On anything but `RtpParse.ok` the
 * contents of `out` are unspecified. RTCP is not recognised here: check `isRtcp` first.
 */
export function parseRtp(buf: Buffer, start: number, end: number, out: RtpHeader): RtpParseResult {
  if (end - start < 12) return RtpParse.tooShort;
  const b0 = buf[start];
  const b1 = buf[start + 1];
  const version = b0 >> 6;
  if (version !== 2) return RtpParse.badVersion;
  out.version = version;
  out.padding = (b0 & 0x20) !== 0;
  out.extension = (b0 & 0x10) !== 0;
  out.csrcCount = b0 & 0x0f;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequence = (buf[start + 2] << 8) | buf[start + 3];
  out.timestamp = readU32(buf, start + 4);
  out.ssrc = readU32(buf, start + 8);

  let pos = start + 12 + out.csrcCount * 4;
  if (pos > end) return RtpParse.badCsrc;
  out.extensionProfile = -1;
  out.extensionStart = pos;
  out.extensionEnd = pos;
  if (out.extension) {
    if (pos + 4 > end) return RtpParse.badExtension;
    out.extensionProfile = (buf[pos] << 8) | buf[pos + 1];
    const words = (buf[pos + 2] << 8) | buf[pos + 3];
    out.extensionStart = pos + 4;
    pos = out.extensionEnd = pos + 4 + words * 4;
    if (pos > end) return RtpParse.badExtension;
  }

  let payloadEnd = end;
  out.paddingLength = 0;
  if (out.padding) {
    // RFC 3550 5.1: the last byte counts the padding, itself included, so it is at least 1.
    const pad = buf[end - 1];
    if (pad === 0 || pad > end - pos) return RtpParse.badPadding;
    out.paddingLength = pad;
    payloadEnd = end - pad;
  }
  out.payloadStart = pos;
  out.payloadEnd = payloadEnd;
  return RtpParse.ok;
}

/** Big-endian unsigned 32-bit read without the bounds-check call of `readUInt32BE`. */
export function readU32(buf: Buffer, at: number): number {
  return buf[at] * 0x1000000 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
}
