import { RolledBackAtCommitError, started, type LedgerConnection, type Tx } from './ledger-connection';
import { isLedgerConnectionError } from './ledger-errors';

type Work<T> = (tx: Tx) => Promise<T>;

interface Queued {
  fn: Work<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Thrown inside a batch's transaction when one of its units threw: the batch rolls back. */
class UnitFailed extends Error {
  /** the first error that says the database is unreachable or locked, if any unit got one */
  constructor(readonly unavailable: unknown) {
    super('a unit of the batch failed');
  }
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
 * database through its `tx`. When the failure says the database is away (SQLITE_BUSY after the
 * busy timeout, a lost or silent PostgreSQL connection), every caller of the batch gets it at
 * once: run alone, each would only wait out the same timeout again. If the COMMIT itself fails, every caller of the batch gets that
 * error (it is not retried: on PostgreSQL a lost connection may hide a commit that happened).
 *
 * Batches run one after another on one connection. That is what SQLite needs anyway (one
 * connection, one writer); on PostgreSQL it also means two batches never hold row locks
 * against each other, so batching cannot introduce deadlocks between unrelated requests.
 * On PostgreSQL (a pipelined connection) the units of a batch start together, so their
 * statements share network writes; on SQLite they run one after another.
 */
export class GroupCommit {
  private waiting: Queued[] = [];
  private running = false;

  constructor(
    private readonly connection: () => LedgerConnection,
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
    setImmediate(() => void this.lane());
  }

  private async lane(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        if (batch.length > 1 && (await this.together(batch))) continue;
        for (const q of batch) await this.alone(q);
      }
    } finally {
      // In the same synchronous step as the empty-queue check: a run() is either seen by that
      // check or starts a lane of its own. (Cleared a promise hop later, a transaction queued
      // by a caller's continuation in between waited for the next unrelated one: seconds.)
      this.running = false;
    }
  }

  /** Every unit in one transaction. False when a unit threw: then nothing of the batch was written and nobody was answered. */
  private async together(batch: Queued[]): Promise<boolean> {
    let values: unknown[];
    try {
      const connection = this.connection();
      values = await connection.transaction((tx) => (connection.pipelined ? allAtOnce(batch, tx) : oneByOne(batch, tx)));
    } catch (err) {
      if (err instanceof UnitFailed && err.unavailable !== undefined) {
        // The database is away (locked, unreachable): alone, each unit would wait as long again for the same error.
        for (const q of batch) q.reject(err.unavailable);
        return true;
      }
      if (err instanceof UnitFailed || err instanceof RolledBackAtCommitError) return false;
      // BEGIN or COMMIT failed: nothing of the batch is known to be durable.
      for (const q of batch) q.reject(err);
      return true;
    }
    batch.forEach((q, i) => q.resolve(values[i]));
    return true;
  }

  /** One unit in a transaction of its own, answered with its own outcome. */
  private async alone(q: Queued): Promise<void> {
    let value: unknown;
    try {
      value = await this.connection().transaction(q.fn);
    } catch (err) {
      q.reject(err);
      return;
    }
    q.resolve(value);
  }
}

async function oneByOne(batch: Queued[], tx: Tx): Promise<unknown[]> {
  const values: unknown[] = [];
  try {
    for (const q of batch) values.push(await q.fn(tx));
  } catch (err) {
    throw new UnitFailed(isLedgerConnectionError(err) ? err : undefined);
  }
  return values;
}

/** Starts every unit before awaiting any (their first statements leave together); settles only once all have. */
async function allAtOnce(batch: Queued[], tx: Tx): Promise<unknown[]> {
  const settled = await Promise.allSettled(batch.map((q) => started(q.fn, tx)));
  const failures = settled.filter((s) => s.status === 'rejected').map((s) => s.reason as unknown);
  if (failures.length > 0) throw new UnitFailed(failures.find(isLedgerConnectionError));
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
}
