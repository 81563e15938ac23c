import { MediaGateway } from '@app/gateway';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { LedgerDatabase } from '../database/ledger-database';
import { ExpirySweeper } from './expiry-sweeper';
import { ResumeLeasesUseCase, type ResumeSummary } from './resume-leases.use-case';

/**
 * Boot and shutdown of the ledger side. Boot: migrate → resume this node's leases → start the
 * expiry sweep. Shutdown: close every socket through the gateway and await it, but leave the
 * leases active so the next start resumes them (a restart must not cut every stream's lease).
 */
@Injectable()
export class LedgerLifecycle implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LedgerLifecycle.name);

  constructor(
    private readonly db: LedgerDatabase,
    private readonly resume: ResumeLeasesUseCase,
    private readonly sweeper: ExpirySweeper,
    private readonly gateway: MediaGateway,
  ) {}

  async boot(): Promise<ResumeSummary> {
    await this.db.open();
    const summary = await this.resume.resumeAll();
    this.sweeper.start();
    return summary;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.sweeper.stop();
    const n = this.gateway.size;
    await this.gateway.closeAll();
    this.logger.log(`shutdown${signal ? ` (${signal})` : ''}: closed the listeners of ${n} leases; they resume at next start`);
  }
}
