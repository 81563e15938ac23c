import Database from 'better-sqlite3';
import { Client } from 'pg';
import { DEFAULT_STATEMENT_TIMEOUT_MS, postgresTarget, postgresTimeouts, type LedgerDatabaseConfig } from '@app/ledger';

/**
 * A lock on a NODE_ID that the operating system or the database server drops when its holder
 * dies, however it dies: the guarantee that two live processes never run one node. (The
 * `node_locks` row only says who holds it.)
 */
export interface ProcessLock {
  /** true when taken; false when another live process holds it */
  tryAcquire(): Promise<boolean>;
  /** still held (PostgreSQL: the lock's connection is up); a lost one may be taken again */
  held(): boolean;
  release(): Promise<void>;
}

export function processLockFor(db: LedgerDatabaseConfig, nodeId: string): ProcessLock | null {
  if (db.kind === 'postgres') return new PostgresAdvisoryLock(db.url, db.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, nodeId);
  return db.path === ':memory:' ? null : new SqliteFileLock(`${db.path}.node-${nodeId}.lock`);
}

/**
 * SQLite: an exclusive lock on a small file of its own next to the ledger (one per NODE_ID,
 * so other nodes on the same file are not affected). In EXCLUSIVE locking mode SQLite keeps
 * the POSIX lock of its first write until the connection closes; the kernel drops it when the
 * process dies. The file is never deleted: unlinking a lock file races with its next opener.
 */
export class SqliteFileLock implements ProcessLock {
  private db: Database.Database | null = null;

  constructor(readonly path: string) {}

  tryAcquire(): Promise<boolean> {
    return Promise.resolve(this.acquire());
  }

  private acquire(): boolean {
    const db = new Database(this.path, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid integer)');
      db.prepare('DELETE FROM holder').run();
      db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
      throw err;
    }
    this.db = db;
    return true;
  }

  held(): boolean {
    return this.db !== null;
  }

  release(): Promise<void> {
    this.db?.close();
    this.db = null;
    return Promise.resolve();
  }
}

/**
 * PostgreSQL: a session advisory lock keyed by the ledger's schema and the NODE_ID, on a
 * connection of its own. The server drops it when that connection ends; server-side TCP
 * keepalive (a few tens of seconds) ends the connection of a host that vanished, so even a
 * power loss frees the node soon.
 */
export class PostgresAdvisoryLock implements ProcessLock {
  private client: Client | null = null;
  private up = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly timeoutMs: number,
    private readonly nodeId: string,
  ) {}

  async tryAcquire(): Promise<boolean> {
    await this.release();
    const target = postgresTarget(this.databaseUrl);
    const options = [
      ...(target.schema ? [`-c search_path=${target.schema}`] : []),
      '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    ].join(' ');
    const client = new Client({ connectionString: target.url, options, ...postgresTimeouts(this.timeoutMs) });
    client.on('error', () => (this.up = false));
    client.on('end', () => (this.up = false));
    await client.connect();
    try {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext(current_schema()), hashtext($1)) AS ok', [
        this.nodeId,
      ]);
      if (!r.rows[0]?.ok) {
        await client.end().catch(() => undefined);
        return false;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.up = true;
    return true;
  }

  held(): boolean {
    return this.client !== null && this.up;
  }

  async release(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.up = false;
    // Ending the session drops its advisory locks.
    if (c) await c.end().catch(() => undefined);
  }
}
