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
  /** lease id → when it ended; insertion order is end order */
  private readonly ended = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  begin(leaseId: string): void {
    this.ending.add(leaseId);
  }

  /** The terminal state is written (or the release gave up): remembered for a while longer. */
  settle(leaseId: string): void {
    if (!this.ending.delete(leaseId)) return;
    this.ended.delete(leaseId);
    this.ended.set(leaseId, this.now());
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
    for (const [id, at] of this.ended) {
      if (at > oldest && this.ended.size <= REMEMBER_MAX) break;
      this.ended.delete(id);
    }
  }
}
