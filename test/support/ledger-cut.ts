import Database from 'better-sqlite3';
import { PG_BASE_URL, type TestDatabase } from './test-databases';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

export interface LedgerCut {
  /** the database config for the harness: what it connects to can be taken away */
  config: TestDatabase['config'];
  /** the ledger can no longer take writes (both calls are idempotent) */
  cut(): Promise<void>;
  /** the ledger takes writes again */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Takes the ledger away from an in-process harness, each database the way it goes away in
 * production: PostgreSQL through a TCP proxy that resets every connection and refuses new ones;
 * SQLite by another connection holding the write lock, so writes fail with SQLITE_BUSY after
 * the ledger's busy timeout (reads still answer, as they do under WAL).
 */
export async function cuttableLedger(db: TestDatabase, proxyPort: number): Promise<LedgerCut> {
  if (db.config.kind === 'sqlite') {
    const path = db.config.path;
    let holder: Database.Database | null = null;
    const restore = () => {
      holder?.exec('COMMIT');
      holder?.close();
      holder = null;
      return Promise.resolve();
    };
    return {
      config: db.config,
      cut: () => {
        if (holder) return Promise.resolve();
        holder = new Database(path, { timeout: 5000 });
        holder.exec('BEGIN IMMEDIATE');
        return Promise.resolve();
      },
      restore,
      close: restore,
    };
  }
  const server = new URL(PG_BASE_URL);
  const proxy: TcpProxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) }, proxyPort);
  let isCut = false;
  return {
    config: { kind: 'postgres', url: proxy.url(db.config.url) },
    cut: async () => {
      if (!isCut) await proxy.cut();
      isCut = true;
    },
    restore: async () => {
      if (isCut) await proxy.restore();
      isCut = false;
    },
    close: async () => {
      if (!isCut) await proxy.close();
      isCut = true;
    },
  };
}
