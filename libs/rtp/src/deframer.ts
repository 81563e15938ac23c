import { DeframeError, DeframeErrorCode } from './errors';
import { isRtcp, RTCP_MIN_BYTES } from './rtcp';

export type Framing = 'rfc4571' | 'rfc2326';

/**
 * Receives one whole RTP or RTCP packet: bytes `buf[start..end)`. `buf` is the caller's own
 * chunk when the packet lies inside it (no copy), or the deframer's single frame buffer when
 * the packet straddled chunks. Either way the bytes are only valid during the call: the chunk
 * belongs to the socket and the frame buffer is reused for the next frame. Offsets rather
 * than a `subarray` keep the hot path free of per-packet allocations; call
 * `buf.subarray(start, end)` only where a Buffer object is really needed.
 */
export type FrameHandler = (buf: Buffer, start: number, end: number, channel: number) => void;

export interface DeframerOptions {
  /** Largest accepted packet (without the frame header). ZLMediaKit treats over 10 KB as corruption. */
  maxPacketBytes?: number;
  /** Highest RFC 2326 channel accepted; 0..3 covers RTP+RTCP of one video and one audio track. */
  maxChannel?: number;
}

export const DEFAULT_MAX_PACKET_BYTES = 10 * 1024;
export const DEFAULT_MAX_CHANNEL = 3;
/** Below this no RTP packet can exist; RTCP (8..11 bytes) is the only exception. */
export const RTP_HEADER_BYTES = 12;

const MODE_UNKNOWN = 0;
const MODE_4571 = 1;
const MODE_2326 = 2;
const DOLLAR = 0x24;
// Module-level copies of imports used per frame (see the note in ingest.ts).
const MIN_FRAME_BYTES = RTCP_MIN_BYTES;
const rtcpPacket = isRtcp;

/**
 * Splits a TCP byte stream into RTP/RTCP packets: RFC 4571 (2-byte big-endian length) or
 * RFC 2326 interleaved (`$`, channel, 2-byte length), chosen from the first byte. A `$` first
 * byte would otherwise mean an RFC 4571 first packet of 9216..9471 bytes, which MTU-sized
 * senders never produce, so `$` is taken as RFC 2326.
 *
 * Memory: a 4-byte header carry and one frame buffer of `maxPacketBytes`, allocated the first
 * time a frame straddles two chunks. Nothing else is ever buffered, so `bufferedBytes` never
 * exceeds `maxPacketBytes + 4`.
 *
 * RFC 4571 has no magic number, so until the first packet has passed every check the framing
 * is only a guess: any failure of the first frame is reported as `unknown-framing` (this is
 * how a TLS ClientHello or an HTTP request is told apart). RFC 2326 is recognised by `$`, so
 * its first frame already gets the specific error codes.
 *
 * After an error the deframer stays failed and returns the same error from every call.
 */
export class StreamDeframer {
  readonly maxPacketBytes: number;
  readonly maxChannel: number;
  /** Set once the first packet has been handed out. */
  framing: Framing | null = null;
  error: DeframeError | null = null;
  /** Packets handed out so far. */
  packets = 0;
  /** Stream bytes consumed so far (for error offsets). */
  bytes = 0;

  private mode = MODE_UNKNOWN;
  private readonly head = Buffer.alloc(4);
  private headHave = 0;
  private frame: Buffer | null = null;
  private frameHave = 0;
  private frameNeed = 0;
  private frameChannel = 0;

  constructor(options: DeframerOptions = {}) {
    this.maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    this.maxChannel = options.maxChannel ?? DEFAULT_MAX_CHANNEL;
  }

  /** Bytes held back because a frame is not complete yet (at most `maxPacketBytes + 4`). */
  get bufferedBytes(): number {
    return this.headHave + this.frameHave;
  }

  /** True when `buf` is the frame buffer reused for packets that straddle chunks. */
  owns(buf: Buffer): boolean {
    return buf === this.frame;
  }

  /**
   * Consumes a chunk, calling `onFrame` for each complete packet, in order. Returns the error
   * that made the stream unusable, or null. Never throws (unless `onFrame` does).
   */
  push(chunk: Buffer, onFrame: FrameHandler): DeframeError | null {
    if (this.error !== null) return this.error;
    const base = this.bytes;
    const end = chunk.length;
    this.bytes += end;
    let pos = this.frameNeed > 0 ? this.fillFrame(chunk, 0, base, onFrame) : 0;

    while (pos < end && this.error === null) {
      if (this.mode === MODE_UNKNOWN) this.mode = chunk[pos] === DOLLAR ? MODE_2326 : MODE_4571;
      const headBytes = this.mode === MODE_2326 ? 4 : 2;
      const frameAt = base + pos - this.headHave;
      let src = chunk;
      let at = pos;
      if (this.headHave === 0 && end - pos >= headBytes) {
        pos += headBytes;
      } else {
        while (this.headHave < headBytes && pos < end) this.head[this.headHave++] = chunk[pos++];
        if (this.headHave < headBytes) return null;
        this.headHave = 0;
        src = this.head;
        at = 0;
      }

      let channel = 0;
      let length: number;
      if (headBytes === 2) {
        length = (src[at] << 8) | src[at + 1];
      } else {
        if (src[at] !== DOLLAR) return this.fail('bad-magic', `expected "$", got 0x${hex(src[at])}`, frameAt);
        channel = src[at + 1];
        length = (src[at + 2] << 8) | src[at + 3];
        if (channel > this.maxChannel) {
          return this.fail('bad-channel', `channel ${channel} above ${this.maxChannel}`, frameAt);
        }
      }
      if (!this.checkLength(length, frameAt)) return this.error;

      if (end - pos >= length) {
        if (!this.checkPacket(chunk, pos, length, frameAt)) return this.error;
        onFrame(chunk, pos, pos + length, channel);
        pos += length;
      } else {
        this.frameNeed = length;
        this.frameChannel = channel;
        pos = this.fillFrame(chunk, pos, base, onFrame);
      }
    }
    return this.error;
  }

  /**
   * Call when the connection closed: reports a frame cut short (`truncated`), or null when
   * the stream ended on a frame boundary.
   */
  finish(): DeframeError | null {
    if (this.error !== null) return this.error;
    if (this.bufferedBytes > 0) {
      const have = this.bufferedBytes;
      return this.fail('truncated', `stream ended with ${have} bytes of an unfinished frame`, this.bytes - have);
    }
    return null;
  }

  /** Copies the part of a straddling frame found in this chunk; emits it once complete. */
  private fillFrame(chunk: Buffer, pos: number, base: number, onFrame: FrameHandler): number {
    const frame = (this.frame ??= Buffer.alloc(this.maxPacketBytes));
    const n = Math.min(chunk.length - pos, this.frameNeed - this.frameHave);
    // Check the version on the first byte so garbage is rejected without waiting for a
    // whole (possibly 10 KB) frame that may never come.
    if (this.frameHave === 0 && n > 0 && chunk[pos] >> 6 !== 2) {
      this.versionError(chunk[pos], base + pos);
      return chunk.length;
    }
    chunk.copy(frame, this.frameHave, pos, pos + n);
    this.frameHave += n;
    if (this.frameHave === this.frameNeed) {
      const length = this.frameNeed;
      this.frameNeed = 0;
      this.frameHave = 0;
      if (this.checkPacket(frame, 0, length, base + pos)) onFrame(frame, 0, length, this.frameChannel);
    }
    return pos + n;
  }

  private checkLength(length: number, at: number): boolean {
    if (length === 0) this.fail('zero-length', 'frame announces 0 bytes', at);
    else if (length < MIN_FRAME_BYTES) this.fail('too-short', `frame of ${length} bytes`, at);
    else if (length > this.maxPacketBytes) {
      this.fail('too-long', `frame of ${length} bytes above ${this.maxPacketBytes}`, at);
    }
    return this.error === null;
  }

  private checkPacket(buf: Buffer, start: number, length: number, at: number): boolean {
    if (buf[start] >> 6 !== 2) this.versionError(buf[start], at);
    else if (length < RTP_HEADER_BYTES && !rtcpPacket(buf, start)) {
      this.fail('too-short', `${length}-byte packet is neither RTP nor RTCP`, at);
    }
    if (this.error !== null) return false;
    this.packets++;
    if (this.framing === null) this.framing = this.mode === MODE_2326 ? 'rfc2326' : 'rfc4571';
    return true;
  }

  private versionError(firstByte: number, at: number): DeframeError {
    return this.fail('bad-rtp-version', `RTP version ${firstByte >> 6}, expected 2`, at);
  }

  /** Records the error; a first RFC 4571 frame that fails means the framing was never there. */
  private fail(code: DeframeErrorCode, message: string, at: number): DeframeError {
    if (this.framing === null && this.mode === MODE_4571 && code !== 'truncated') {
      message = `first bytes are neither RFC 4571 nor RFC 2326 (${code}: ${message})`;
      code = 'unknown-framing';
    }
    this.error = new DeframeError(code, message, at);
    this.headHave = 0;
    this.frameHave = 0;
    this.frameNeed = 0;
    return this.error;
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
