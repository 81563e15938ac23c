export type PairStatus = 'free' | 'taken' | 'quarantined';

export interface PairCounts {
  pairs: number;
  free: number;
  leased: number;
  quarantined: number;
}

/**
 * The in-memory view of one node's port pairs (RTP even, RTCP = RTP + 1). Pure: no I/O.
 *
 * Free pairs are kept in a Map, whose iteration order is insertion order: the first key is the
 * pair given back longest ago, and a pair given back is appended at the end. So `take()` hands
 * out the least-recently-released pair in O(1) (docs/ARCHITECTURE.md#invariants, rule 5: a device still pushing to an old
 * port must not land in a new stream).
 */
export class PairSelector {
  private readonly free = new Map<number, true>();
  private readonly taken = new Set<number>();
  private readonly quarantined = new Set<number>();
  readonly pairs: number[];

  /**
   * @param lastReleasedAt a number growing with when each pair was last given back (a time or a
   *   sequence); missing = never used, and those go first
   */
  constructor(
    readonly start: number,
    readonly end: number,
    lastReleasedAt: ReadonlyMap<number, number> = new Map(),
    taken: Iterable<number> = [],
    quarantined: Iterable<number> = [],
  ) {
    this.pairs = [];
    for (let p = start % 2 === 0 ? start : start + 1; p + 1 <= end; p += 2) this.pairs.push(p);
    for (const p of taken) if (this.isPair(p)) this.taken.add(p);
    for (const p of quarantined) if (this.isPair(p) && !this.taken.has(p)) this.quarantined.add(p);
    const order = this.pairs
      .filter((p) => !this.taken.has(p) && !this.quarantined.has(p))
      .sort((a, b) => (lastReleasedAt.get(a) ?? -1) - (lastReleasedAt.get(b) ?? -1) || a - b);
    for (const p of order) this.free.set(p, true);
  }

  /** Is `port` the RTP (even) port of a pair of this range? */
  isPair(port: number): boolean {
    return this.rtpPortOf(port) === port;
  }

  /** The RTP port of the pair that `port` (RTP or RTCP) belongs to, or null outside the range. */
  rtpPortOf(port: number): number | null {
    const rtp = port % 2 === 0 ? port : port - 1;
    return rtp >= this.start && rtp + 1 <= this.end ? rtp : null;
  }

  /** Takes the least-recently-released free pair, or null when none is free. */
  take(): number | null {
    const first = this.free.keys().next();
    if (first.done) return null;
    this.free.delete(first.value);
    this.taken.add(first.value);
    return first.value;
  }

  /** Takes one named pair if it is free. */
  takeSpecific(rtpPort: number): boolean {
    if (!this.free.delete(rtpPort)) return false;
    this.taken.add(rtpPort);
    return true;
  }

  /** A pair whose lease ended goes to the back of the queue (unless it was quarantined meanwhile). */
  giveBack(rtpPort: number): void {
    if (!this.isPair(rtpPort)) return;
    this.taken.delete(rtpPort);
    if (this.quarantined.has(rtpPort)) return;
    this.free.delete(rtpPort);
    this.free.set(rtpPort, true);
  }

  /** Marks a pair held by a lease this selector did not hand out (boot, other writers). */
  markTaken(rtpPort: number): void {
    if (!this.isPair(rtpPort)) return;
    this.free.delete(rtpPort);
    this.quarantined.delete(rtpPort);
    this.taken.add(rtpPort);
  }

  quarantine(rtpPort: number): void {
    if (!this.isPair(rtpPort)) return;
    this.free.delete(rtpPort);
    this.taken.delete(rtpPort);
    this.quarantined.add(rtpPort);
  }

  /** A cleared pair becomes free again, at the back of the queue. */
  unquarantine(rtpPort: number): void {
    if (!this.quarantined.delete(rtpPort)) return;
    if (!this.taken.has(rtpPort)) this.free.set(rtpPort, true);
  }

  statusOf(rtpPort: number): PairStatus | null {
    if (this.taken.has(rtpPort)) return 'taken';
    if (this.quarantined.has(rtpPort)) return 'quarantined';
    if (this.free.has(rtpPort)) return 'free';
    return null;
  }

  counts(): PairCounts {
    return { pairs: this.pairs.length, free: this.free.size, leased: this.taken.size, quarantined: this.quarantined.size };
  }

  /** Free pairs in hand-out order (for tests and diagnostics). */
  freeInOrder(): number[] {
    return [...this.free.keys()];
  }
}
