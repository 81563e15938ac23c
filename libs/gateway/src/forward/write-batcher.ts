/** Something whose corked writes the batcher sends. */
export interface BatchedWriter {
  /** sends what was gathered since the last call (one writev) */
  sendGathered(): void;
}

/** How long a forward connection gathers packets before it writes them: latency vs syscalls. */
export const FORWARD_BATCH_MS = 10;

/**
 * Sends the gathered writes of every forward connection once per `delayMs`, with one timer for
 * all of them. A camera at 2 Mb/s delivers a packet every ~5 ms, usually one per socket read, so
 * writing after every read would cost the forward one syscall per packet, as much as the ingest's
 * own reads; gathering for 10 ms writes several packets per syscall, at 10 ms of added latency
 * (media servers buffer far more than that anyway).
 */
export class WriteBatcher {
  private due = new Set<BatchedWriter>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly delayMs = FORWARD_BATCH_MS) {}

  /** `w` has writes gathered: send them at the next batch. Once per writer per batch. */
  add(w: BatchedWriter): void {
    this.due.add(w);
    this.timer ??= setTimeout(this.run, this.delayMs).unref();
  }

  private readonly run = (): void => {
    this.timer = null;
    const due = this.due;
    this.due = new Set();
    for (const w of due) w.sendGathered();
  };
}

/** The process's one batcher: every lease's forward shares its timer. */
export const FORWARD_WRITES = new WriteBatcher();
