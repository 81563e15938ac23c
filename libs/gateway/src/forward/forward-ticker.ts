/**
 * How a forward connection batches its writes. A 2 Mb/s camera delivers a packet every ~5 ms,
 * mostly one per socket read; on loopback a write system call costs the sender ~3 us of kernel
 * time plus the receiver's receive path, so one write per read (or per 10 ms) made the forward
 * path about a third of the service's CPU at 1,000 streams. A lease's packets are gathered and
 * written once they are FORWARD_BATCH_BYTES, or FORWARD_BATCH_MS old: ~10 KB per write at
 * 2 Mb/s, 25 writes a second, at up to 40 ms of added latency (media servers buffer far more;
 * the live pull's fan-out batches the same way). The check runs after each of the lease's own
 * socket reads, so the writes of many leases spread over time with their streams.
 */
export const FORWARD_BATCH_BYTES = 32 * 1024;
export const FORWARD_BATCH_MS = 40;
/** The shared timer's period: a batch that aged without a read to carry it waits at most this much longer. */
export const FORWARD_TICK_MS = 10;

/** A forwarder the shared timer looks after while it holds bytes. */
export interface TickedForwarder {
  /**
   * Writes a batch that aged without a socket read to carry it, and brings its share of the
   * forward budget up to date (bytes the kernel took since). False: nothing left to look after.
   */
  tick(): boolean;
}

/**
 * One timer for every forwarder of the process, running only while one of them holds bytes:
 * no timer or closure per packet or per lease.
 */
export class ForwardTicker {
  private readonly due = new Set<TickedForwarder>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly periodMs = FORWARD_TICK_MS) {}

  /** `f` holds bytes: tick it until its tick() says it is done. */
  add(f: TickedForwarder): void {
    this.due.add(f);
    this.timer ??= setInterval(this.run, this.periodMs).unref();
  }

  /** `f` closed: no more ticks. */
  remove(f: TickedForwarder): void {
    this.due.delete(f);
  }

  private readonly run = (): void => {
    // Deleting the current entry while iterating a Set is safe; one added meanwhile is ticked too.
    for (const f of this.due) if (!f.tick()) this.due.delete(f);
    if (this.due.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  };
}

/** The process's one ticker: every lease's forward shares its timer. */
export const FORWARD_TICKER = new ForwardTicker();
