import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PoolConfig } from 'pg';
import { DataSource } from 'typeorm';
import { POSTGRES_MIGRATIONS } from '@migrations/postgres';
import { SQLITE_MIGRATIONS } from '@migrations/sqlite';
import { LEDGER_ENTITIES } from '../entities';
import type { LedgerDatabaseConfig } from '../ledger.options';

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

/**
 * node-postgres settings so that no request waits on the database for longer than
 * `statementMs`: the server cancels a statement that runs too long (statement_timeout, and
 * the same for a transaction left idle), but a black-holed network never lets the statement
 * reach the server, so the client gives up too (query_timeout), as it does on a connect or a
 * wait for a pooled connection (connectionTimeoutMillis). TCP keepalive lets the kernel
 * notice a peer that vanished from an idle pooled connection.
 */
export function postgresTimeouts(statementMs: number) {
  return {
    statement_timeout: statementMs,
    idle_in_transaction_session_timeout: statementMs * 2,
    query_timeout: statementMs,
    connectionTimeoutMillis: Math.min(3000, statementMs),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/**
 * Builds the TypeORM DataSource for either driver. `synchronize` is off everywhere: the schema
 * belongs to the reviewed migrations, which run before anything else touches the database.
 */
export function createLedgerDataSource(config: LedgerDatabaseConfig): DataSource {
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    return new DataSource({
      type: 'better-sqlite3',
      database: config.path,
      entities: LEDGER_ENTITIES,
      migrations: SQLITE_MIGRATIONS,
      migrationsTransactionMode: 'each',
      synchronize: false,
      enableWAL: true,
      timeout: 5000,
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('foreign_keys = ON');
        // WAL + NORMAL: a commit survives a process crash (kill -9); only an OS crash or power
        // loss can lose the last transactions, which the reconciler repairs at next boot.
        db.pragma('synchronous = NORMAL');
        // Checkpoints (the only fsyncs) run in a worker thread (SqliteCheckpointer); this is
        // only the backstop should that worker die: ~80 MB of WAL.
        db.pragma('wal_autocheckpoint = 20000');
      },
    });
  }
  const { schema } = postgresTarget(config.url);
  const { connectionString, ...connection } = postgresPoolOptions(config);
  return new DataSource({
    type: 'postgres',
    url: connectionString,
    entities: LEDGER_ENTITIES,
    migrations: POSTGRES_MIGRATIONS,
    migrationsTransactionMode: 'all',
    synchronize: false,
    ...(schema ? { schema } : {}),
    // Migrations and the cold reads (admin listings, reports) only: the statements of the
    // requests run on the ledger's own three connections (PostgresConnection).
    extra: { max: 4, ...connection },
  });
}

/** node-postgres options of every connection to the ledger (TypeORM's pool and the write connection alike). */
export function postgresPoolOptions(config: Extract<LedgerDatabaseConfig, { kind: 'postgres' }>): PoolConfig {
  const pg = postgresTarget(config.url);
  return {
    connectionString: pg.url,
    ...postgresTimeouts(config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS),
    ...(pg.schema ? { options: `-c search_path=${pg.schema}` } : {}),
  };
}

/** A DATABASE_URL's server URL and the `?schema=` the ledger lives in (tests give each file its own). */
export function postgresTarget(databaseUrl: string): { url: string; schema: string | null } {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  return { url: url.toString(), schema };
}
