import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Database from 'better-sqlite3';
import type { DataSource, EntityManager } from 'typeorm';
import { LEDGER_DATABASE_CONFIG, type LedgerDatabaseConfig } from '../ledger.options';
import { createLedgerDataSource, postgresPoolOptions } from './data-source.factory';
import { GroupCommit } from './group-commit';
import type { ExecResult, LedgerConnection, Tx } from './ledger-connection';
import { PostgresConnection } from './postgres-connection';
import { SqliteCheckpointer } from './sqlite-checkpointer';
import { SqliteConnection } from './sqlite-connection';

export type { ExecResult, Tx } from './ledger-connection';
export { isLedgerConnectionError, isUniqueViolation } from './ledger-errors';

/** Sees every statement `exec` runs, as written (with `?`), before it runs (query-plan tests). */
export type StatementTracer = (sql: string, params: readonly unknown[]) => void;

/**
 * The one way to the database. `transaction(fn)` is the only write entry point: it queues
 * transactions and commits the ones that queued up together in one database transaction
 * (GroupCommit): the commit is most of a write's cost. On SQLite the queue is also what keeps
 * transactions from overlapping on the single better-sqlite3 connection ("cannot start a
 * transaction within a transaction"). On PostgreSQL the partial unique indexes do the
 * exclusion between nodes.
 *
 * Statements (`exec`) run on the raw driver (LedgerConnection); TypeORM (`dataSource`,
 * `manager`) connects, runs the migrations and serves the cold reads.
 */
@Injectable()
export class LedgerDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger(LedgerDatabase.name);
  readonly dataSource: DataSource;
  readonly dialect: 'sqlite' | 'postgres';
  private readonly commits: GroupCommit;
  private readonly checkpointer: SqliteCheckpointer | null;
  private connection: LedgerConnection | null = null;
  private tracer: StatementTracer | null = null;

  constructor(@Inject(LEDGER_DATABASE_CONFIG) private readonly config: LedgerDatabaseConfig) {
    this.dataSource = createLedgerDataSource(config);
    this.dialect = config.kind;
    this.checkpointer = config.kind === 'sqlite' ? new SqliteCheckpointer(config.path) : null;
    this.commits = new GroupCommit(() => this.connected());
  }

  /** Connects and migrates. Called once at boot, before any listener or HTTP. */
  async open(): Promise<void> {
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    const ran = await this.dataSource.runMigrations({ transaction: this.dialect === 'postgres' ? 'all' : 'each' });
    if (ran.length > 0) this.logger.log(`applied migrations: ${ran.map((m) => m.name).join(', ')}`);
    // Statements are prepared from here on, against the migrated schema.
    this.connection ??= this.rawConnection();
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
   * One SQL statement with `?` placeholders (rewritten to `$n` for PostgreSQL), prepared once
   * and reused. Inside a transaction pass its `tx`; reads outside one pass null.
   */
  exec<R = Record<string, unknown>>(tx: Tx | null, sql: string, params: readonly unknown[] = []): Promise<ExecResult<R>> {
    if (this.tracer) this.tracer(sql, params);
    if (this.connection === null) return Promise.reject(new Error('ledger database not initialized'));
    return this.connection.exec<R>(tx, sql, params);
  }

  /** Sets (or with null removes) the one statement tracer. */
  traceStatements(tracer: StatementTracer | null): void {
    this.tracer = tracer;
  }

  /** A cheap round trip, for health checks. */
  async ping(): Promise<void> {
    await this.exec(null, 'SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.commits.drained();
    await this.checkpointer?.stop();
    await this.connection?.close();
    this.connection = null;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private connected(): LedgerConnection {
    if (this.connection === null) throw new Error('ledger database not initialized');
    return this.connection;
  }

  /** SQLite: the connection TypeORM opened (one connection, one writer). PostgreSQL: connections of its own. */
  private rawConnection(): LedgerConnection {
    if (this.config.kind === 'sqlite') {
      const driver = this.dataSource.driver as unknown as { databaseConnection: Database.Database };
      return new SqliteConnection(driver.databaseConnection);
    }
    return new PostgresConnection(postgresPoolOptions(this.config), (err) =>
      this.logger.warn(`ledger write connection lost while idle: ${err.message}`),
    );
  }
}
