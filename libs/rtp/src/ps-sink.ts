/**
 * What the consumers of the reassembled program stream (live HTTP pull, recorder) receive:
 * each RTP payload of the chosen SSRC, in sequence order, as `buf[start..end)`.
 *
 * The bytes are a view into the socket's chunk or the deframer's frame buffer and are only
 * valid during the call. A sink that writes them on at once (`fs.writeSync(fd, buf, start,
 * end - start)`, `Buffer.copy` into its own ring) needs no copy; a sink that keeps them must
 * copy (`Buffer.from(buf.subarray(start, end))`). `info` is one object reused for every call:
 * read it during the call, do not keep it.
 */
export interface PsPayloadInfo {
  ssrc: number;
  sequence: number;
  /** RTP timestamp (90 kHz). Media time is in the PES PTS/DTS; ZLMediaKit stamps audio packs with the video time. */
  timestamp: number;
  /** Set on the last RTP packet of a pack by ZLMediaKit and most cameras. */
  marker: boolean;
  /** The payload begins with a pack header (00 00 01 BA): a reader may start here. */
  packStart: boolean;
  /**
   * The PS probe recognised the start of a keyframe in this payload. It belongs to the pack
   * that began at the latest `packStart` payload (the same payload on every stream seen so
   * far, since a pack header, PSM and the first NAL units fit in one RTP packet). Always false
   * when the ingest runs without a probe.
   */
  keyframe: boolean;
  /** Packets were lost just before this one (sequence gap or source restart). */
  discontinuity: boolean;
}

export interface PsSink {
  write(buf: Buffer, start: number, end: number, info: Readonly<PsPayloadInfo>): void;
}

/** True when `buf[start..end)` begins with an MPEG-PS pack start code (00 00 01 BA). */
export function isPackStart(buf: Buffer, start: number, end: number): boolean {
  return end - start >= 4 && buf[start] === 0 && buf[start + 1] === 0 && buf[start + 2] === 1 && buf[start + 3] === 0xba;
}

/**
 * Offset of the next pack start code in `buf[start..end)`, or -1. For consumers that did not
 * get the stream from its start (a file, a PS stream with packs not aligned to payloads).
 */
export function findPackStart(buf: Buffer, start: number, end: number): number {
  for (let i = buf.indexOf(0xba, start + 3); i >= 0 && i < end; i = buf.indexOf(0xba, i + 1)) {
    if (buf[i - 1] === 1 && buf[i - 2] === 0 && buf[i - 3] === 0) return i - 3;
  }
  return -1;
}

/**
 * Wraps a sink so it receives nothing until a clean starting point: the next payload that
 * starts a pack, or with `keyframe: true`, the next one that starts a keyframe pack. This is
 * how a live-pull client that joins mid-stream gets a decodable stream. After a
 * discontinuity the gate closes again, because the decoder would otherwise see broken data.
 */
export class KeyframeGate implements PsSink {
  open = false;

  constructor(
    private readonly target: PsSink,
    private readonly waitForKeyframe = true,
  ) {}

  write(buf: Buffer, start: number, end: number, info: Readonly<PsPayloadInfo>): void {
    if (info.discontinuity) this.open = false;
    if (!this.open) this.open = info.packStart && (info.keyframe || !this.waitForKeyframe);
    if (this.open) this.target.write(buf, start, end, info);
  }
}
