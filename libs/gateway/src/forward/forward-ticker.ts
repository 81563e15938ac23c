/**
 * How a forward connection batches its writes. On loopback a write costs the sender its own
 * send path plus the receiver's receive path and wake-up (the softirq runs in the sender), so
 * one write per socket read made the forward path about a third of the service's CPU at 1,000
 * streams. A lease's packets are gathered and written once they are FORWARD_BATCH_BYTES, or
 * `batchMs` old (FORWARD_BATCH_MS, default DEFAULT_FORWARD_BATCH_MS). The check runs after each
 * of the lease's own socket reads, so the writes of many leases spread over time with their
 * streams.
 *
 * Why 80 ms: a camera sends each video frame as a burst (every 40 ms at 25 fps), so a 40 ms
 * batch was about one write per frame, batching nothing the reads had not; at 80 ms two frames
 * share a write (~20 KB at 2 Mb/s, 12.5 writes a second). Measured within one run by perf at
 * 750 forwarded 2 Mb/s streams: the forward path's part of the service's samples went from
 * 25 % (40 ms) to 19 % (80 ms). The price is up to 80 ms (plus one tick) of added latency
 * before the media server sees a packet; players of a GB28181 platform buffer far more
 * (HTTP-FLV and HLS seconds, WebRTC a few hundred ms), and FORWARD_BATCH_MS=0 writes after
 * every read for those who want it.
 */
export const FORWARD_BATCH_BYTES = 32 * 1024;
export const DEFAULT_FORWARD_BATCH_MS = 80;
/** FORWARD_BATCH_MS is at most this: beyond it the lease's buffer, not the batch, is what holds the packets. */
export const MAX_FORWARD_BATCH_MS = 1000;
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
