/**
 * Per-SSRC reception statistics, following RFC 3550 appendix A.1 (sequence validation and
 * extended sequence numbers), A.3 (expected/lost) and A.8 (interarrival jitter). Arrival times
 * come from the caller in milliseconds, so tests and replays control the clock.
 *
 * Everything is counted in plain fields; `snapshot()` is the only method that allocates and is
 * meant for reporting, not for the per-packet path.
 */

const RTP_SEQ_MOD = 0x10000;
// RFC 3550 A.1 constants: a jump forward of up to 3000 is loss, up to 100 back is misordering.
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Sequence numbers remembered for duplicate detection (a power of two). */
const SEEN_WINDOW = 1024;

/** What `update` concluded about a packet's place in the sequence. */
export const SeqVerdict = {
  /** The next expected packet (or the first one). */
  inOrder: 0,
  /** Ahead of the next expected one: packets in between are missing, or the source restarted. */
  gap: 1,
  /** Behind the highest seen: a reordered packet or a duplicate. */
  late: 2,
  /** Not counted (RFC 3550 A.1: still on probation, or a big jump not yet confirmed). */
  ignored: 3,
} as const;
export type SeqVerdictValue = (typeof SeqVerdict)[keyof typeof SeqVerdict];

export interface RtpStatsOptions {
  /** RTP clock rate for jitter; 90 kHz is what GB28181 uses for PS. */
  clockRate?: number;
  /**
   * RFC 3550 A.1 MIN_SEQUENTIAL: packets in sequence needed before a source counts. 0 (the
   * default) turns probation off: on a TCP connection each source is one device that we
   * accepted on purpose, so its first packet is real. With 2 (the RFC value), the first packet
   * is not counted and base sequence is the second packet's.
   */
  probation?: number;
  /** Window for `bitrateBps`. */
  bitrateWindowMs?: number;
  /**
   * An RTP timestamp step larger than this between consecutive packets is a timeline jump,
   * not network jitter: the transit baseline restarts and no jitter sample is taken. This is
   * what keeps ZLMediaKit's first G.711 packet (timestamp 0, then 540000 = 6 s) from adding
   * 540000/16 ticks of jitter. A network stall keeps the timestamp step small, so it still
   * shows up as jitter.
   */
  timestampJumpMs?: number;
}

export interface RtpStatsSnapshot {
  ssrc: number;
  payloadType: number;
  clockRate: number;
  /** Every packet of this SSRC, counted or not. */
  packets: number;
  /** RTP packet bytes (header + payload + padding). */
  bytes: number;
  payloadBytes: number;
  markers: number;
  /** RFC 3550 A.1 values. `highestSeq` is extended: cycles * 65536 + max_seq. */
  baseSeq: number;
  highestSeq: number;
  cycles: number;
  /** RFC 3550 A.3: highestSeq - baseSeq + 1. */
  expected: number;
  /** Counted packets, duplicates included (RFC 3550 A.1 `received`). */
  received: number;
  /**
   * RFC 3550 A.3 cumulative loss, expected - received, signed: duplicates make it go
   * negative, exactly as the RFC defines it (an RR clamps it to 24 bits).
   */
  lost: number;
  /** Packets never seen: expected - (received - duplicates), never below 0. */
  missing: number;
  /** Non-duplicate packets that arrived after a higher sequence number. */
  reordered: number;
  /** Packets whose sequence number was already seen among the last 1024. */
  duplicates: number;
  /** Source restarts detected by RFC 3550 A.1 (two packets in sequence after a big jump). */
  resyncs: number;
  /** Packets dropped while on probation or while a big jump was unconfirmed. */
  ignored: number;
  /** RFC 3550 A.8 interarrival jitter in timestamp units, and in milliseconds. */
  jitter: number;
  jitterMs: number;
  timestampJumps: number;
  /** Bits per second over the last complete window; 0 until one window has passed. */
  bitrateBps: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
}

export class RtpStreamStats {
  readonly clockRate: number;
  payloadType = -1;
  packets = 0;
  bytes = 0;
  payloadBytes = 0;
  markers = 0;

  // RFC 3550 A.1 `source` fields.
  maxSeq = 0;
  cycles = 0;
  baseSeq = 0;
  badSeq = RTP_SEQ_MOD + 1;
  probation = 0;
  received = 0;
  reordered = 0;
  duplicates = 0;
  resyncs = 0;
  ignored = 0;

  // RFC 3550 A.8.
  jitter = 0;
  timestampJumps = 0;
  private hasTransit = false;
  private lastTimestamp = 0;
  private lastTransitMs = 0;

  bitrateBps = 0;
  firstArrivalMs = -1;
  lastArrivalMs = -1;
  private windowStartMs = -1;
  private windowBytes = 0;

  /** Ring of the last SEEN_WINDOW extended sequence numbers, one bit each. */
  private readonly seen = new Uint32Array(SEEN_WINDOW / 32);
  private readonly minSequential: number;
  private readonly windowMs: number;
  private readonly jumpTicks: number;
  private readonly ticksPerMs: number;

  constructor(
    readonly ssrc: number,
    options: RtpStatsOptions = {},
  ) {
    this.clockRate = options.clockRate ?? 90_000;
    this.minSequential = options.probation ?? 0;
    this.windowMs = options.bitrateWindowMs ?? 1000;
    this.ticksPerMs = this.clockRate / 1000;
    this.jumpTicks = (options.timestampJumpMs ?? 3000) * this.ticksPerMs;
  }

  get extendedHighestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  get expected(): number {
    return this.received === 0 ? 0 : this.extendedHighestSeq - this.baseSeq + 1;
  }

  /**
   * Accounts one RTP packet; `packetBytes` is the whole RTP packet. Returns where the packet
   * falls in the sequence so the caller can keep late packets out of an in-order consumer.
   */
  update(seq: number, timestamp: number, marker: boolean, packetBytes: number, payloadBytes: number, arrivalMs: number): SeqVerdictValue {
    if (this.packets++ === 0) this.start(seq, arrivalMs);
    this.lastArrivalMs = arrivalMs;
    this.bytes += packetBytes;
    this.payloadBytes += payloadBytes;
    if (marker) this.markers++;
    this.countBitrate(packetBytes, arrivalMs);
    const verdict = this.updateSeq(seq);
    if (verdict === SeqVerdict.ignored) this.ignored++;
    else this.sampleJitter(timestamp, arrivalMs);
    return verdict;
  }

  snapshot(): RtpStatsSnapshot {
    const expected = this.expected;
    return {
      ssrc: this.ssrc,
      payloadType: this.payloadType,
      clockRate: this.clockRate,
      packets: this.packets,
      bytes: this.bytes,
      payloadBytes: this.payloadBytes,
      markers: this.markers,
      baseSeq: this.baseSeq,
      highestSeq: this.received === 0 ? 0 : this.extendedHighestSeq,
      cycles: this.cycles / RTP_SEQ_MOD,
      expected,
      received: this.received,
      lost: expected - this.received,
      missing: Math.max(0, expected - (this.received - this.duplicates)),
      reordered: this.reordered,
      duplicates: this.duplicates,
      resyncs: this.resyncs,
      ignored: this.ignored,
      jitter: this.jitter,
      jitterMs: this.jitter / this.ticksPerMs,
      timestampJumps: this.timestampJumps,
      bitrateBps: this.bitrateBps,
      firstArrivalMs: this.firstArrivalMs,
      lastArrivalMs: this.lastArrivalMs,
    };
  }

  private start(seq: number, arrivalMs: number): void {
    this.firstArrivalMs = arrivalMs;
    this.initSeq(seq);
    if (this.minSequential > 0) {
      // RFC 3550 A.1: "s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL".
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = this.minSequential;
    }
  }

  /** RFC 3550 A.1 init_seq, plus clearing the duplicate window. */
  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.seen.fill(0);
  }

  /** RFC 3550 A.1 update_seq, with the "duplicate or reordered" branch split in two. */
  private updateSeq(seq: number): SeqVerdictValue {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          return this.advance(0);
        }
      } else {
        this.probation = this.minSequential - 1;
        this.maxSeq = seq;
      }
      return SeqVerdict.ignored;
    }
    if (udelta < MAX_DROPOUT) {
      const before = this.extendedHighestSeq;
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
      return this.advance(this.extendedHighestSeq - before);
    }
    if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      if (seq !== this.badSeq) {
        this.badSeq = (seq + 1) & 0xffff;
        return SeqVerdict.ignored;
      }
      // Two packets in sequence after a big jump: the source restarted.
      this.initSeq(seq);
      this.resyncs++;
      this.advance(0);
      return SeqVerdict.gap;
    }
    return this.behind(this.extendedHighestSeq - ((this.maxSeq - seq) & 0xffff));
  }

  /** The highest sequence moved forward by `step` (0 for the first packet or a repeat of it). */
  private advance(step: number): SeqVerdictValue {
    const ext = this.extendedHighestSeq;
    if (step === 0) {
      if (this.received > 0 && this.isSeen(ext)) {
        this.received++;
        this.duplicates++;
        return SeqVerdict.late;
      }
    } else if (step >= SEEN_WINDOW) {
      this.seen.fill(0);
    } else {
      for (let s = ext - step + 1; s < ext; s++) this.clearSeen(s);
    }
    this.markSeen(ext);
    this.received++;
    return step > 1 ? SeqVerdict.gap : SeqVerdict.inOrder;
  }

  /** A packet behind the highest one: a duplicate if remembered, otherwise reordered. */
  private behind(ext: number): SeqVerdictValue {
    this.received++;
    const inWindow = this.extendedHighestSeq - ext < SEEN_WINDOW;
    if (inWindow && this.isSeen(ext)) {
      this.duplicates++;
    } else {
      // Older than the window we cannot tell; RFC 3550 counts it as received either way.
      this.reordered++;
      if (inWindow) this.markSeen(ext);
    }
    return SeqVerdict.late;
  }

  private isSeen(ext: number): boolean {
    const i = ext & (SEEN_WINDOW - 1);
    return (this.seen[i >> 5] & (1 << (i & 31))) !== 0;
  }

  private markSeen(ext: number): void {
    const i = ext & (SEEN_WINDOW - 1);
    this.seen[i >> 5] |= 1 << (i & 31);
  }

  private clearSeen(ext: number): void {
    const i = ext & (SEEN_WINDOW - 1);
    this.seen[i >> 5] &= ~(1 << (i & 31));
  }

  /**
   * RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16. The first packet (and the
   * first after a timestamp jump) only sets the baseline. Differences rather than absolute
   * transit times keep the 32-bit timestamp wrap harmless.
   */
  private sampleJitter(timestamp: number, arrivalMs: number): void {
    const prevTimestamp = this.lastTimestamp;
    const prevArrivalMs = this.lastTransitMs;
    this.lastTimestamp = timestamp;
    this.lastTransitMs = arrivalMs;
    if (!this.hasTransit) {
      this.hasTransit = true;
      return;
    }
    const tsStep = (timestamp - prevTimestamp) | 0;
    if (tsStep > this.jumpTicks || -tsStep > this.jumpTicks) {
      this.timestampJumps++;
      return;
    }
    let d = (arrivalMs - prevArrivalMs) * this.ticksPerMs - tsStep;
    if (d < 0) d = -d;
    this.jitter += (d - this.jitter) / 16;
  }

  private countBitrate(packetBytes: number, arrivalMs: number): void {
    if (this.windowStartMs < 0) this.windowStartMs = arrivalMs;
    const elapsed = arrivalMs - this.windowStartMs;
    if (elapsed >= this.windowMs) {
      this.bitrateBps = (this.windowBytes * 8000) / elapsed;
      this.windowStartMs = arrivalMs;
      this.windowBytes = 0;
    }
    this.windowBytes += packetBytes;
  }
}
