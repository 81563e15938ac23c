import { isHostListenError } from '@app/gateway';
import { LeaseRepository } from '@app/ledger';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { END_CAUSES } from '../domain/end-causes';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { PortPool } from '../ports/port-pool.service';
import { EndFailedBindUseCase } from './end-failed-bind.use-case';
import { LeaseReopener } from './lease-reopener';
import { ReleaseLeaseUseCase } from './release-lease.use-case';
import { ResumeRetries } from './resume-retries';

export interface ResumeSummary {
  resumed: number;
  expired: number;
  failed: number;
  /** kept active: listen failed for a reason not about the pair; retried with backoff */
  waiting: number;
}

/**
 * Boot: this node's active rows outlived the process, but their sockets died with it. End the
 * overdue ones, re-open the rest (`resumed-after-restart`), and end `failed` + quarantine any
 * pair that can no longer be bound. A listen() error that is not about the pair (bind address
 * not up yet, out of descriptors) ends nothing: the lease waits in ResumeRetries. After this,
 * every active row is listening in the OS or waiting there.
 */
@Injectable()
export class ResumeLeasesUseCase {
  private readonly logger = new Logger(ResumeLeasesUseCase.name);

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly pool: PortPool,
    private readonly release: ReleaseLeaseUseCase,
    private readonly reopener: LeaseReopener,
    private readonly retries: ResumeRetries,
    private readonly failedBind: EndFailedBindUseCase,
    private readonly clock: Clock,
  ) {}

  async resumeAll(): Promise<ResumeSummary> {
    await this.pool.load();
    const summary: ResumeSummary = { resumed: 0, expired: 0, failed: 0, waiting: 0 };
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
          if (await this.reopener.reopen(lease)) summary.resumed++;
        } catch (err) {
          if (isHostListenError(err)) {
            // not the pair's fault: the lease stays active and is retried while we serve
            this.retries.add(lease, err);
            summary.waiting++;
          } else {
            await this.failedBind.end(lease, err, 'resume');
            summary.failed++;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    this.logger.log(
      `boot: ${summary.resumed} leases resumed, ${summary.expired} expired, ${summary.failed} failed, ${summary.waiting} waiting to re-open`,
    );
    return summary;
  }
}
