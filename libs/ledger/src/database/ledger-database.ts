import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { LEDGER_DATABASE_CONFIG, type LedgerDatabaseConfig } from '../ledger.options';
import { createLedgerDataSource } from './data-source.factory';
import { GroupCommit } from './group-commit';
import { SqliteCheckpointer } from './sqlite-checkpointer';

export type Tx = EntityManager;

/**
 * The one way to the database. `transaction(fn)` is the only write entry point: it queues
 * transactions and commits the ones that queued up together in one database transaction,  (GroupCommit): the commit is most of a write's cost. On SQLite the queue is
 * also what keeps TypeORM transactions from overlapping on the single better-sqlite3
 * connection ("cannot start a transaction within a transaction"). On PostgreSQL the partial
 * unique indexes do the exclusion between nodes.
 */
@Injectable()
export class LedgerDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger(LedgerDatabase.name);
  readonly dataSource: DataSource;
  readonly dialect: 'sqlite' | 'postgres';
  private readonly commits: GroupCommit;
  private readonly checkpointer: SqliteCheckpointer | null;

  constructor(@Inject(LEDGER_DATABASE_CONFIG) config: LedgerDatabaseConfig) {
    this.dataSource = createLedgerDataSource(config);
    this.dialect = config.kind;
    this.checkpointer = config.kind === 'sqlite' ? new SqliteCheckpointer(config.path) : null;
    this.commits = new GroupCommit(this.dataSource);
  }

  /** Connects and migrates. Called once at boot, before any listener or HTTP. */
  async open(): Promise<void> {
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    const ran = await this.dataSource.runMigrations({ transaction: this.dialect === 'postgres' ? 'all' : 'each' });
    if (ran.length > 0) this.logger.log(`applied migrations: ${ran.map((m) => m.name).join(', ')}`);
    this.checkpointer?.start();
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * `fn`'s writes commit atomically, and the promise settles only after the COMMIT. `fn` must
   * not await another `transaction()` (it would wait behind its own batch), and must touch
   * nothing but the database through `tx`: when another unit of its batch fails, it runs
   * again in a transaction of its own (GroupCommit).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.commits.run(fn);
  }

  /**
   * One SQL statement with `?` placeholders (rewritten to `$n` for PostgreSQL) through
   * TypeORM's query runner: the hot paths use this instead of the query builder, which cost
   * ~40 % of an allocate+release cycle's CPU (measured; see BENCHMARKS.md). Inside a
   * transaction pass its `tx`; reads outside one pass null.
   */
  async exec<R = Record<string, unknown>>(tx: Tx | null, sql: string, params: unknown[] = []): Promise<{ rows: R[]; affected: number }> {
    const text = this.dialect === 'postgres' ? this.toPostgres(sql) : sql;
    if (tx?.queryRunner) {
      const r = await tx.queryRunner.query(text, params, true);
      return { rows: (r.records ?? []) as R[], affected: r.affected ?? 0 };
    }
    const rows: unknown = await this.dataSource.query(text, params);
    return { rows: (Array.isArray(rows) ? rows : []) as R[], affected: 0 };
  }

  private readonly pgText = new Map<string, string>();

  private toPostgres(sql: string): string {
    let text = this.pgText.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      this.pgText.set(sql, text);
    }
    return text;
  }

  /** A cheap round trip, for health checks. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.commits.drained();
    await this.checkpointer?.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** True when the error is a unique-constraint violation on either driver. */
export function isUniqueViolation(err: unknown, index?: string): boolean {
  const e = err as { code?: string; message?: string; driverError?: { code?: string; constraint?: string; message?: string } };
  const code = e?.driverError?.code ?? e?.code;
  const msg = `${e?.message ?? ''} ${e?.driverError?.message ?? ''} ${e?.driverError?.constraint ?? ''}`;
  const unique = code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(msg);
  if (!unique || !index) return unique;
  return msg.includes(index) || uniqueColumnsMatch(msg, index);
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // PostgreSQL: connection exceptions (08xxx), admin shutdown / crash shutdown / cannot connect now, too many connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // query_canceled: statement_timeout (DB_STATEMENT_TIMEOUT_MS) — the database did not answer in time
  '57014',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);
const CONNECTION_TEXT =
  /Connection terminated|connection timeout|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|not Connected|not initialized|Connection is not established|server closed the connection/i;

/**
 * True when the error says the database could not be reached or could not take the write
 * (as opposed to a constraint or a bug): the API answers it as `503 ledger_unavailable`.
 */
export function isLedgerConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string; driverError?: { code?: string; message?: string } };
  if (!e || typeof e !== 'object') return false;
  const code = e.driverError?.code ?? e.code;
  if (code && CONNECTION_CODES.has(code)) return true;
  if (e.name === 'CannotExecuteNotConnectedError' || e.name === 'ConnectionIsNotSetError') return true;
  return CONNECTION_TEXT.test(`${e.message ?? ''} ${e.driverError?.message ?? ''}`);
}

// SQLite names the columns ("leases.node_id, leases.rtp_port"), not the index.
function uniqueColumnsMatch(msg: string, index: string): boolean {
  if (index === 'ux_leases_active_port') return /leases\.rtp_port/.test(msg);
  if (index === 'ux_leases_active_stream') return /leases\.stream_id/.test(msg);
  return false;
}
