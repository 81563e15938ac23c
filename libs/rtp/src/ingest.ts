import { DeframeError } from './errors';
import { DeframerOptions, FrameHandler, Framing, StreamDeframer } from './deframer';
import { PsProbe, PsProbeSnapshot } from './ps-probe';
import { isPackStart, PsPayloadInfo, PsSink } from './ps-sink';
import { isRtcp, RtcpCounters } from './rtcp';
import { parseRtp, RtpHeader, RtpParse } from './rtp-header';
import { RtpStatsOptions, RtpStatsSnapshot, RtpStreamStats, SeqVerdict } from './rtp-stats';

// Per-packet uses of imported values go through these module-level copies. Module runners
// that keep imports as live bindings (vitest's SSR transform turns each use into a getter call
// on the module namespace) were measured 2.5x slower on this path without them; a plain
// CommonJS build (nest build) is unaffected either way.
const RTP_OK = RtpParse.ok;
const LATE = SeqVerdict.late;
const IGNORED = SeqVerdict.ignored;
const GAP = SeqVerdict.gap;
const rtcpPacket = isRtcp;
const parseHeader = parseRtp;
const packStartAt = isPackStart;

export interface RtpIngestOptions extends DeframerOptions, RtpStatsOptions {
  /**
   * Asked once per new SSRC (not per packet): false drops that SSRC's packets, counted in
   * `rejectedPackets`. Default: accept all, up to `maxSsrcs`.
   */
  acceptSsrc?: (ssrc: number) => boolean;
  /** SSRCs tracked at once; bounds memory against a peer that invents SSRCs. Default 4. */
  maxSsrcs?: number;
  /** Run the PS probe on the primary SSRC (default true). */
  probePs?: boolean;
  /** Called with every RTP packet of the primary SSRC, in arrival order (see RtpPacketHook). */
  onPacket?: RtpPacketHook | null;
}

/**
 * Sees every RTP packet accepted into the stream (the primary SSRC, after the SSRC check),
 * in arrival order, late and duplicate ones included (a receiver such as a media server
 * reorders by itself): bytes `buf[start..end)`, header included. Called before the probe and
 * sinks, which read only the payload, so the hook may rewrite header bytes in place (the
 * parsed header is already taken). `reused` is true when `buf` is the deframer's frame buffer
 * (a packet that straddled two chunks) or a buffer pushPacket was told is reused (a UDP
 * receive slab): it is overwritten later, so a hook that keeps the bytes must copy them;
 * otherwise `buf` is the chunk the caller pushed.
 */
export type RtpPacketHook = (buf: Buffer, start: number, end: number, reused: boolean) => void;

export interface RtpIngestSnapshot {
  framing: Framing | null;
  error: { code: string; message: string } | null;
  bytes: number;
  bufferedBytes: number;
  rtpPackets: number;
  rtcpPackets: number;
  /** RTP packets whose CSRC list, extension or padding did not fit (dropped, not fatal). */
  malformedPackets: number;
  rejectedPackets: number;
  /** The SSRC whose payloads feed the probe and sinks: the first one accepted. */
  primarySsrc: number | null;
  streams: RtpStatsSnapshot[];
  ps: PsProbeSnapshot | null;
}

/**
 * One device connection's receive path: deframer -> RTP parser -> per-SSRC statistics ->
 * PS probe -> sinks. The gateway pushes socket chunks with the arrival time and reads
 * `snapshot()` when it reports. Nothing is allocated per packet: the frame handler is bound
 * once, the header and sink info objects are reused, and payloads travel as offsets.
 *
 * Only the primary SSRC (the first accepted) feeds the probe and the sinks, and only packets
 * that move the sequence forward: a late or duplicate packet cannot be put back into a byte
 * stream that has already gone out, so it is counted and dropped. After a gap the probe
 * resynchronises and sinks see `discontinuity: true`.
 */
export class RtpIngest {
  readonly deframer: StreamDeframer;
  readonly probe: PsProbe | null;
  readonly rtcp = new RtcpCounters();
  rtpPackets = 0;
  malformedPackets = 0;
  rejectedPackets = 0;

  private readonly header = new RtpHeader();
  private readonly streams = new Map<number, RtpStreamStats>();
  private readonly info: PsPayloadInfo = {
    ssrc: 0,
    sequence: 0,
    timestamp: 0,
    marker: false,
    packStart: false,
    keyframe: false,
    discontinuity: false,
  };
  private sinks: readonly PsSink[] = [];
  private current: RtpStreamStats | null = null;
  private primary: RtpStreamStats | null = null;
  private lastRejected = -1;
  private nowMs = 0;
  /** the packet being handled came through pushPacket in a buffer that is reused after it */
  private packetReused = false;
  private readonly maxSsrcs: number;
  private readonly onPacket: RtpPacketHook | null;
  // Declared with all four parameters on purpose: a callback called with more arguments than
  // it declares is not inlined by V8, which made this path three times slower.
  private readonly onFrame: FrameHandler = (buf, start, end, _channel) => this.handle(buf, start, end);

  constructor(private readonly options: RtpIngestOptions = {}) {
    this.deframer = new StreamDeframer(options);
    this.probe = options.probePs === false ? null : new PsProbe();
    this.maxSsrcs = options.maxSsrcs ?? 4;
    this.onPacket = options.onPacket ?? null;
  }

  get framing(): Framing | null {
    return this.deframer.framing;
  }

  get error(): DeframeError | null {
    return this.deframer.error;
  }

  get bufferedBytes(): number {
    return this.deframer.bufferedBytes;
  }

  /** The SSRC feeding the probe and sinks, or null before the first accepted packet. */
  get primarySsrc(): number | null {
    return this.primary?.ssrc ?? null;
  }

  /**
   * Feeds one socket chunk that arrived at `nowMs` (any monotonic millisecond clock). A
   * non-null result means: close this connection. Sinks are called synchronously, in order.
   */
  push(chunk: Buffer, nowMs: number): DeframeError | null {
    this.nowMs = nowMs;
    return this.deframer.push(chunk, this.onFrame);
  }

  /**
   * Feeds one RTP (or RTCP) packet that needs no deframing: a UDP datagram is exactly one
   * packet (RFC 3550 section 11). The same path as a deframed frame, without copy. `reused`:
   * `buf` is overwritten after this call (a receive slab shared by batches), so the packet
   * hook is told to copy what it keeps, as for the deframer's frame buffer.
   */
  pushPacket(buf: Buffer, start: number, end: number, nowMs: number, reused = false): void {
    this.nowMs = nowMs;
    this.packetReused = reused;
    this.handle(buf, start, end);
    this.packetReused = false;
  }

  /** Call when the peer closed: reports `truncated` if it stopped in the middle of a frame. */
  finish(): DeframeError | null {
    return this.deframer.finish();
  }

  addSink(sink: PsSink): void {
    // Copy on change, so a sink may add sinks while being called.
    this.sinks = [...this.sinks, sink];
  }

  stats(ssrc: number): RtpStreamStats | undefined {
    return this.streams.get(ssrc);
  }

  snapshot(): RtpIngestSnapshot {
    const error = this.deframer.error;
    return {
      framing: this.deframer.framing,
      error: error && { code: error.code, message: error.message },
      bytes: this.deframer.bytes,
      bufferedBytes: this.deframer.bufferedBytes,
      rtpPackets: this.rtpPackets,
      rtcpPackets: this.rtcp.packets,
      malformedPackets: this.malformedPackets,
      rejectedPackets: this.rejectedPackets,
      primarySsrc: this.primarySsrc,
      streams: [...this.streams.values()].map((s) => s.snapshot()),
      ps: this.probe && this.probe.snapshot(),
    };
  }

  private handle(buf: Buffer, start: number, end: number): void {
    if (rtcpPacket(buf, start)) {
      this.rtcp.count(buf, start, end);
      return;
    }
    const h = this.header;
    if (parseHeader(buf, start, end, h) !== RTP_OK) {
      this.malformedPackets++;
      return;
    }
    this.rtpPackets++;
    let stats = this.current;
    if (stats === null || stats.ssrc !== h.ssrc) {
      stats = this.lookup(h.ssrc);
      if (stats === null) {
        this.rejectedPackets++;
        return;
      }
      this.current = stats;
    }
    stats.payloadType = h.payloadType;
    const verdict = stats.update(h.sequence, h.timestamp, h.marker, end - start, h.payloadLength, this.nowMs);
    if (stats !== this.primary) return;
    const hook = this.onPacket;
    if (hook !== null) hook(buf, start, end, this.packetReused || this.deframer.owns(buf));
    if (verdict === LATE || verdict === IGNORED) return;
    this.deliver(buf, h, verdict === GAP);
  }

  private deliver(buf: Buffer, h: RtpHeader, gap: boolean): void {
    const probe = this.probe;
    let keyframe = false;
    if (probe !== null) {
      if (gap) probe.discontinuity();
      const before = probe.keyframes;
      probe.push(buf, h.payloadStart, h.payloadEnd);
      keyframe = probe.keyframes !== before;
    }
    const sinks = this.sinks;
    if (sinks.length === 0) return;
    const info = this.info;
    info.ssrc = h.ssrc;
    info.sequence = h.sequence;
    info.timestamp = h.timestamp;
    info.marker = h.marker;
    info.packStart = packStartAt(buf, h.payloadStart, h.payloadEnd);
    info.keyframe = keyframe;
    info.discontinuity = gap;
    for (let i = 0; i < sinks.length; i++) sinks[i].write(buf, h.payloadStart, h.payloadEnd, info);
  }

  /** Finds or admits the stats for an SSRC; null when the SSRC is rejected. */
  private lookup(ssrc: number): RtpStreamStats | null {
    const known = this.streams.get(ssrc);
    if (known !== undefined) return known;
    if (ssrc === this.lastRejected) return null;
    const accept = this.options.acceptSsrc;
    if (this.streams.size >= this.maxSsrcs || (accept !== undefined && !accept(ssrc))) {
      this.lastRejected = ssrc;
      return null;
    }
    const stats = new RtpStreamStats(ssrc, this.options);
    this.streams.set(ssrc, stats);
    this.primary ??= stats;
    return stats;
  }
}
