import { MediaGateway } from '@app/gateway';
import { LeaseRepository } from '@app/ledger';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { END_CAUSES } from '../domain/end-causes';
import { toBinding } from '../domain/lease-binding.mapper';
import { ExpiryScheduler } from '../expiry/expiry-scheduler';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { PortPool } from '../ports/port-pool.service';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
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
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly writer: LeaseTransitionWriter,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
    private readonly release: ReleaseLeaseUseCase,
    private readonly failedBind: EndFailedBindUseCase,
    private readonly expiry: ExpiryScheduler,
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
          await this.failedBind.end(lease, err, 'resume');
          summary.failed++;
          continue;
        }
        // reserved (crashed before listen) and streaming (the device's socket died with us) both resume as listening
        await this.writer.apply(lease, { kind: 'resumed' }, this.clock.now());
        this.expiry.arm(lease);
        summary.resumed++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    this.logger.log(`boot: ${summary.resumed} leases resumed, ${summary.expired} expired, ${summary.failed} failed`);
    return summary;
  }
}
