/**
 * Why a byte stream was rejected. Every code means the same thing to the caller: the bytes
 * on this connection can no longer be trusted, so close the connection (never the lease or
 * the process). The codes are stable; log and count them, do not parse the message.
 */
export type DeframeErrorCode =
  /** A frame header announced a 0-byte packet. */
  | 'zero-length'
  /** Shorter than an RTCP packet (8 bytes), or shorter than an RTP header (12) and not RTCP. */
  | 'too-short'
  /** Longer than the configured maximum (ZLMediaKit treats over 10 KB as corruption). */
  | 'too-long'
  /** The first frame fits neither RFC 4571 nor RFC 2326 (TLS, HTTP, garbage...). */
  | 'unknown-framing'
  /** An RFC 2326 stream lost its `$` magic between frames. */
  | 'bad-magic'
  /** A packet whose first two bits are not RTP/RTCP version 2. */
  | 'bad-rtp-version'
  /** An RFC 2326 frame on a channel above the configured maximum. */
  | 'bad-channel'
  /** The stream ended in the middle of a frame (reported by `finish()` only). */
  | 'truncated';

/**
 * Returned, never thrown: the hot path has no try/catch and the caller decides what to do.
 * `offset` is the stream byte offset of the frame that failed, for logs.
 */
export class DeframeError extends Error {
  override readonly name = 'DeframeError';

  constructor(
    readonly code: DeframeErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(`${code}: ${message} (at stream byte ${offset})`);
  }
}
