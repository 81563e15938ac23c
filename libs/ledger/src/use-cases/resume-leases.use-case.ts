import { LeaseEndingError, MediaGateway } from '@app/gateway';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LedgerDatabase } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import { END_CAUSES } from '../domain/lease';
import { toBinding } from '../domain/lease-binding.mapper';
import { LEDGER_OPTIONS, type LedgerOptions } from '../ledger.options';
import { PortPool } from '../ports/port-pool.service';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository } from '../repositories/lease.repository';
import { EndFailedBindUseCase } from './end-failed-bind.use-case';
import { ReleaseLeaseUseCase } from './release-lease.use-case';

export interface ResumeSummary {
  resumed: number;
  expired: number;
  failed: number;
}

/**
 * Boot: this node's active rows outlived the process, but their sockets died with it. End the
 * overdue ones, re-open the rest (`resumed-after-restart`), and end `failed` + quarantine any
 * pair that can no longer be bound. After this, every active row is listening in the OS.
 */
@Injectable()
export class ResumeLeasesUseCase {
  private readonly logger = new Logger(ResumeLeasesUseCase.name);

  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerOptions,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
    private readonly release: ReleaseLeaseUseCase,
    private readonly failedBind: EndFailedBindUseCase,
    private readonly clock: Clock,
  ) {}

  async resumeAll(): Promise<ResumeSummary> {
    await this.pool.load();
    const summary: ResumeSummary = { resumed: 0, expired: 0, failed: 0 };
    const active = await this.leases.findActiveForNode(this.options.nodeId);
    // Bounded parallelism: fast boots with thousands of leases, without a listen() storm.
    const queue = [...active];
    const worker = async () => {
      for (let lease = queue.shift(); lease; lease = queue.shift()) {
        if (lease.expiresAt <= this.clock.now()) {
          await this.release.release(lease.id, END_CAUSES.ttl);
          summary.expired++;
          continue;
        }
        try {
          await this.gateway.open(toBinding(lease));
        } catch (err) {
          // ended meanwhile: its release owns it
          if (err instanceof LeaseEndingError) continue;
          await this.failedBind.end(lease, err, 'resume');
          summary.failed++;
          continue;
        }
        const now = this.clock.now();
        const resumed = await this.db.transaction(async (tx) => {
          // reserved (crashed before listen) and streaming (the device's socket died with us) both resume as listening
          const ok = await this.leases.markActiveState(tx, lease.id, 'listening', now);
          if (ok) await this.events.append(tx, lease.id, 'resumed-after-restart', now, { previousState: lease.state });
          return ok;
        });
        if (!resumed) {
          // ended while we opened: no listener outlives it
          await this.gateway.close(lease.id);
          continue;
        }
        this.release.armExpiry(lease);
        summary.resumed++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    this.logger.log(`boot: ${summary.resumed} leases resumed, ${summary.expired} expired, ${summary.failed} failed`);
    return summary;
  }
}
