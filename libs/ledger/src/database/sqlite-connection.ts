import type Database from 'better-sqlite3';
import type { ExecResult, LedgerConnection, Tx } from './ledger-connection';

/** Distinct statement texts kept prepared; past this the cache starts over (dynamic filters, IN lists). */
const MAX_STATEMENTS = 512;

/**
 * Statements on the one better-sqlite3 connection (the one TypeORM opened and migrated),
 * each prepared once and reused. better-sqlite3 is synchronous: a statement runs to completion
 * inside `exec`, so nothing else can interleave with it; the promise is for the PostgreSQL-shaped
 * callers. SQLite recompiles a prepared statement by itself when the schema changed since it
 * was prepared (sqlite3_prepare_v2), so statements prepared before a schema change stay valid.
 */
export class SqliteConnection implements LedgerConnection {
  readonly pipelined = false;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly tx: Tx = { dialect: 'sqlite' };
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  exec<R>(_tx: Tx | null, sql: string, params: readonly unknown[]): Promise<ExecResult<R>> {
    try {
      return Promise.resolve(this.run<R>(sql, params));
    } catch (err) {
      // A throw of the synchronous driver is a rejection, as on PostgreSQL.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** One connection, one writer: `_tx` needs no routing, every statement runs on `db`. */
  run<R>(sql: string, params: readonly unknown[]): ExecResult<R> {
    const stmt = this.statement(sql);
    const values = bindable(params);
    if (stmt.reader) return { rows: stmt.all(values) as R[], affected: 0 };
    return { rows: [], affected: stmt.run(values).changes };
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    this.begin.run();
    try {
      const value = await work(this.tx);
      this.commit.run();
      return value;
    } catch (err) {
      // A failed COMMIT (SQLITE_BUSY) leaves the transaction open: it is rolled back too.
      if (this.db.inTransaction) this.rollback.run();
      throw err;
    }
  }

  close(): Promise<void> {
    // The connection is TypeORM's: it closes it (DataSource.destroy).
    this.statements.clear();
    return Promise.resolve();
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

/** better-sqlite3 binds no booleans: true/false become 1/0 (as TypeORM did). Copies only when there is one. */
function bindable(params: readonly unknown[]): unknown[] {
  for (let i = 0; i < params.length; i++) {
    if (typeof params[i] === 'boolean') return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  }
  return params as unknown[];
}
