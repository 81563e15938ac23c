/** How long an ended lease is remembered, and at most how many: far longer than any open in flight. */
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

/**
 * The leases whose release has begun (until their terminal state is written), then, for a
 * while, those that ended. open() refuses them: an opener that read the row as active before
 * the release began must not listen afterwards. Bounded: ending leases are the releases in
 * flight; ended ones are forgotten after REMEMBER_MS or beyond REMEMBER_MAX (oldest first).
 * Past that, every opener's own check of the row after listening catches a lease that ended.
 * A lease id is never reused, so refusing one never refuses a legitimate open; a new process
 * (resume after restart) starts with an empty memory.
 */
export class EndedLeases {
  private readonly ending = new Set<string>();
  /** lease id → when it ended */
  private readonly ended = new Map<string, number>();
  /**
   * Every settle in end order, oldest at `head` (ids and times side by side): what prune()
   * looks at. Not the Map's own order: iterating a Map from its start walks over every entry
   * deleted from its front since its last rehash, and at the cap, with one deletion per ended
   * lease, that was 14 µs per allocate+release cycle (~1.7 % of a one-client cycle's CPU).
   */
  private ids: string[] = [];
  private ats: number[] = [];
  private head = 0;

  constructor(private readonly now: () => number = Date.now) {}

  begin(leaseId: string): void {
    this.ending.add(leaseId);
  }

  /** The terminal state is written (or the release gave up): remembered for a while longer. */
  settle(leaseId: string): void {
    if (!this.ending.delete(leaseId)) return;
    const at = this.now();
    this.ended.set(leaseId, at);
    this.ids.push(leaseId);
    this.ats.push(at);
    this.prune();
  }

  isEnding(leaseId: string): boolean {
    return this.ending.has(leaseId);
  }

  refuses(leaseId: string): boolean {
    if (this.ending.has(leaseId)) return true;
    this.prune();
    return this.ended.has(leaseId);
  }

  get size(): number {
    return this.ending.size + this.ended.size;
  }

  private prune(): void {
    const oldest = this.now() - REMEMBER_MS;
    while (this.head < this.ids.length) {
      const at = this.ats[this.head];
      if (at > oldest && this.ended.size <= REMEMBER_MAX) break;
      const id = this.ids[this.head++];
      // A lease settled twice is remembered from its last settle: an older entry of it is stale.
      if (this.ended.get(id) === at) this.ended.delete(id);
    }
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.ats = this.ats.slice(this.head);
      this.head = 0;
    }
  }
}
