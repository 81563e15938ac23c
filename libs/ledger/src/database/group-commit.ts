import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

type Work<T> = (tx: EntityManager) => Promise<T>;

interface Queued {
  fn: Work<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface Outcome {
  ok: boolean;
  value: unknown;
}

/**
 * Group commit: the transactions that queue up while one commit is under way are written in
 * ONE database transaction, each inside a SAVEPOINT of its own, and answered only after that
 * single COMMIT. A commit is the costly part of a write (SQLite appends every page the
 * transaction touched to the WAL, ~90 µs; PostgreSQL flushes its WAL), and concurrent lease
 * writes touch the same pages, so a batch of N costs little more than one.
 *
 * Error isolation: a unit of work that throws is rolled back to its savepoint and rejected
 * with its own error; the others in the batch commit as if alone. Nothing resolves before the
 * COMMIT succeeded; if the COMMIT itself fails, nothing of the batch was written and every
 * caller gets that error. A lone unit runs as a plain transaction (no savepoint).
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
      await this.commitBatch(batch);
    }
  }

  private async commitBatch(batch: Queued[]): Promise<void> {
    let qr: QueryRunner | null = null;
    let outcomes: Outcome[];
    try {
      qr = this.dataSource.createQueryRunner();
      await qr.startTransaction();
      outcomes = batch.length === 1 ? [await this.alone(qr, batch[0])] : await this.each(qr, batch);
      if (batch.length === 1 && !outcomes[0].ok) {
        await qr.rollbackTransaction();
      } else {
        await qr.commitTransaction();
      }
    } catch (err) {
      // BEGIN, a savepoint statement or the COMMIT failed: nothing of the batch is durable.
      if (qr?.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      for (const q of batch) q.reject(err);
      return;
    } finally {
      await qr?.release().catch(() => undefined);
    }
    batch.forEach((q, i) => (outcomes[i].ok ? q.resolve(outcomes[i].value) : q.reject(outcomes[i].value)));
  }

  private async alone(qr: QueryRunner, q: Queued): Promise<Outcome> {
    try {
      return { ok: true, value: await q.fn(qr.manager) };
    } catch (err) {
      return { ok: false, value: err };
    }
  }

  private async each(qr: QueryRunner, batch: Queued[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const q of batch) {
      await qr.query('SAVEPOINT unit');
      try {
        const value = await q.fn(qr.manager);
        await qr.query('RELEASE SAVEPOINT unit');
        out.push({ ok: true, value });
      } catch (err) {
        // Undo this unit's writes only; the transaction stays usable (PostgreSQL too).
        await qr.query('ROLLBACK TO SAVEPOINT unit');
        await qr.query('RELEASE SAVEPOINT unit');
        out.push({ ok: false, value: err });
      }
    }
    return out;
  }
}
