import type { DataSource, EntityManager } from 'typeorm';

type Work<T> = (tx: EntityManager) => Promise<T>;

interface Queued {
  fn: Work<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * Group commit: the transactions that queue up while one commit is under way are written in
 * ONE database transaction and answered only after that single COMMIT. A commit is the costly
 * part of a write (SQLite appends every page the transaction touched to the WAL, ~90 µs;
 * PostgreSQL flushes its WAL), and concurrent lease writes touch the same pages, so a batch of
 * N costs little more than one.
 *
 * Error isolation: when a unit of work throws, the batch is rolled back (nothing of it was
 * written) and every unit runs again in a transaction of its own, so the failing one gets its
 * own error and the others commit as if alone. Failures are rare (a unique violation, the
 * ledger gone), so this costs less than a savepoint around every unit (two more statements
 * each, two more round trips on PostgreSQL). A unit therefore must touch nothing but the
 * database through its `tx`. If the COMMIT itself fails, every caller of the batch gets that
 * error (it is not retried: on PostgreSQL a lost connection may hide a commit that happened).
 *
 * Batches run one after another on one connection. That is what SQLite needs anyway (one
 * connection, one writer); on PostgreSQL it also means two batches never hold row locks
 * against each other, so batching cannot introduce deadlocks between unrelated requests.
 */
export class GroupCommit {
  private waiting: Queued[] = [];
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly maxBatch = 64,
  ) {}

  run<T>(fn: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ fn, resolve: resolve, reject });
      if (!this.running) this.startLane();
    });
  }

  /** Resolves when nothing is queued or running (shutdown). */
  async drained(): Promise<void> {
    while (this.running || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private startLane(): void {
    this.running = true;
    // Not now but after this turn of the event loop has read every request that arrived
    // together: with a synchronous driver (better-sqlite3) a batch started at once would
    // finish before anything else could queue, and every batch would hold one unit.
    setImmediate(() => void this.lane().finally(() => (this.running = false)));
  }

  private async lane(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      if (batch.length > 1 && (await this.together(batch))) continue;
      for (const q of batch) await this.alone(q);
    }
  }

  /** Every unit in one transaction. False when a unit threw: then nothing of the batch was written and nobody was answered. */
  private async together(batch: Queued[]): Promise<boolean> {
    const qr = this.dataSource.createQueryRunner();
    const values: unknown[] = [];
    try {
      await qr.startTransaction();
      try {
        for (const q of batch) values.push(await q.fn(qr.manager));
      } catch {
        await qr.rollbackTransaction().catch(() => undefined);
        return false;
      }
      await qr.commitTransaction();
    } catch (err) {
      // BEGIN or COMMIT failed: nothing of the batch is known to be durable.
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      for (const q of batch) q.reject(err);
      return true;
    } finally {
      await qr.release().catch(() => undefined);
    }
    batch.forEach((q, i) => q.resolve(values[i]));
    return true;
  }

  /** One unit in a transaction of its own, answered with its own outcome. */
  private async alone(q: Queued): Promise<void> {
    const qr = this.dataSource.createQueryRunner();
    let value: unknown;
    try {
      await qr.startTransaction();
      value = await q.fn(qr.manager);
      await qr.commitTransaction();
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      q.reject(err);
      return;
    } finally {
      await qr.release().catch(() => undefined);
    }
    q.resolve(value);
  }
}
