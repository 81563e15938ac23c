/** The transaction a unit of work writes in (group commit). Repositories hand it to `LedgerDatabase.exec`. */
export interface Tx {
  readonly dialect: 'sqlite' | 'postgres';
}

export interface ExecResult<R> {
  rows: R[];
  /** rows changed by an INSERT, UPDATE or DELETE (0 for a read on SQLite) */
  affected: number;
}

/**
 * The raw driver under the ledger's statements (better-sqlite3 or node-postgres), below
 * TypeORM: TypeORM's query runner cost more CPU than SQLite itself on the hot writes
 * (logging, event broadcasting, a result object and a wrapped promise per statement).
 * TypeORM keeps the migrations and the cold reads.
 */
export interface LedgerConnection {
  /**
   * True when the statements of a batch's units may be sent together (PostgreSQL pipeline
   * mode): the units then start at once and their first statements leave in one network write.
   */
  readonly pipelined: boolean;
  /** One statement with `?` placeholders; in `tx` when given, else outside any transaction. */
  exec<R>(tx: Tx | null, sql: string, params: readonly unknown[]): Promise<ExecResult<R>>;
  /** BEGIN → `work` → COMMIT; on a throw from `work` the transaction is rolled back and the error rethrown. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * COMMIT answered ROLLBACK: a statement of the transaction failed and the error was swallowed
 * inside it (PostgreSQL aborts the whole transaction on any failed statement). Nothing was written.
 */
export class RolledBackAtCommitError extends Error {
  constructor() {
    super('the transaction was rolled back at COMMIT: one of its statements had failed');
    this.name = 'RolledBackAtCommitError';
  }
}

/** `work(tx)`, started now (an async function runs synchronously up to its first await), a synchronous throw turned into a rejection. */
export async function started<T>(work: (tx: Tx) => Promise<T>, tx: Tx): Promise<T> {
  return work(tx);
}
