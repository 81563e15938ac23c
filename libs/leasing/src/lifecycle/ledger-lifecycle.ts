import { MediaGateway } from '@app/gateway';
import { LedgerDatabase } from '@app/ledger';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExpirySweeper } from '../expiry/expiry-sweeper';
import { ResumeLeasesUseCase, type ResumeSummary } from '../use-cases/resume-leases.use-case';
import { NodeLock } from '../node-lock/node-lock.service';
import { HistoryRetention } from './history-retention';

/** How the first connection to the ledger went, for /health while the service starts. */
export interface LedgerStartup {
  attempts: number;
  connected: boolean;
  lastError: string | null;
}

/**
 * Boot and shutdown of the ledger side. Boot: connect and migrate (PostgreSQL: retried with
 * backoff until it answers, each attempt logged) → resume this node's leases → start the
 * expiry sweep and history retention. The NODE_ID is taken (NodeLock) between connecting and
 * resuming. Shutdown: close every socket through the gateway and await it, but leave the
 * leases active so the next start resumes them (a restart must not cut every stream's lease).
 */
@Injectable()
export class LedgerLifecycle implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LedgerLifecycle.name);
  private stopping = false;
  private readonly state: LedgerStartup = { attempts: 0, connected: false, lastError: null };

  constructor(
    private readonly db: LedgerDatabase,
    private readonly resume: ResumeLeasesUseCase,
    private readonly sweeper: ExpirySweeper,
    private readonly retention: HistoryRetention,
    private readonly gateway: MediaGateway,
    private readonly nodeLock: NodeLock,
  ) {}

  get startup(): LedgerStartup {
    return { ...this.state };
  }

  /** Which database the ledger runs on. */
  get dialect(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  /** A cheap round trip to the database, for health checks. */
  ping(): Promise<void> {
    return this.db.ping();
  }

  async boot(options: { retry?: boolean } = {}): Promise<ResumeSummary> {
    await this.openWithRetry(options.retry ?? this.db.dialect === 'postgres');
    // One process per NODE_ID: taken before any lease of the node is touched.
    await this.nodeLock.acquire();
    const summary = await this.resume.resumeAll();
    this.sweeper.start();
    this.retention.start();
    return summary;
  }

  /** A server that is not up yet (a fleet host booting before its database) is waited for, not fatal. */
  private async openWithRetry(retry: boolean): Promise<void> {
    for (;;) {
      this.state.attempts++;
      try {
        await this.db.open();
        this.state.connected = true;
        this.state.lastError = null;
        if (this.state.attempts > 1) this.logger.log(`ledger database reachable after ${this.state.attempts} attempts`);
        return;
      } catch (err) {
        this.state.lastError = err instanceof Error ? err.message : String(err);
        if (!retry || this.stopping) throw err;
        const waitMs = Math.min(500 * 2 ** (this.state.attempts - 1), 10_000);
        this.logger.warn(`ledger database unreachable (attempt ${this.state.attempts}): ${this.state.lastError}; retrying in ${waitMs} ms`);
        await sleep(waitMs);
        if (this.stopping) throw new Error('shutting down while waiting for the ledger database');
      }
    }
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.stopping = true;
    this.sweeper.stop();
    this.retention.stop();
    const n = this.gateway.size;
    await this.gateway.closeAll();
    // Only once every socket is closed may a successor take the node.
    await this.nodeLock.release();
    this.logger.log(`shutdown${signal ? ` (${signal})` : ''}: closed the listeners of ${n} leases; they resume at next start`);
  }
}
