import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop. In WAL mode with synchronous=NORMAL, SQLite fsyncs only
 * when it checkpoints, and an automatic checkpoint runs inside whichever commit crosses the
 * threshold — on the thread that committed. Under allocation load that put 50-200 ms disk
 * waits on the event loop (the p99 of the ledger benchmark). Here a worker thread with its
 * own connection runs PASSIVE checkpoints (they never block writers), so the main thread
 * only appends to the WAL. The main connection keeps a large auto-checkpoint as a backstop
 * in case the worker dies.
 */
export class SqliteCheckpointer {
  private readonly logger = new Logger(SqliteCheckpointer.name);
  private worker: Worker | null = null;

  constructor(
    private readonly path: string,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    if (this.worker || this.path === ':memory:') return;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), path: this.path, everyMs: this.everyMs },
    });
    worker.unref();
    worker.on('error', (err) => this.logger.error(`WAL checkpointer stopped: ${err.message}; SQLite's own auto-checkpoint takes over`));
    this.worker = worker;
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

// Plain CommonJS for an eval worker: it needs nothing from the app but the driver.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 5000 });
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
setInterval(() => {
  try { checkpoint.get(); } catch (err) { /* busy: the next tick tries again */ }
}, workerData.everyMs);
`;
