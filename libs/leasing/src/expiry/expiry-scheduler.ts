import type { Lease } from '@app/ledger';
import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { END_CAUSES } from '../domain/end-causes';
import { ReleaseLeaseUseCase } from '../use-cases/release-lease.use-case';
import { ExpiryTimers } from './expiry-timers';

/**
 * Arms a lease's TTL timer (at allocation, renewal and resume); when it fires the lease ends
 * `expired`/`ttl` through the release routine, which also disarms it on every other end.
 */
@Injectable()
export class ExpiryScheduler {
  private readonly logger = new Logger(ExpiryScheduler.name);

  constructor(
    private readonly timers: ExpiryTimers,
    private readonly release: ReleaseLeaseUseCase,
    private readonly clock: Clock,
  ) {}

  arm(lease: Pick<Lease, 'id' | 'expiresAt'>): void {
    this.timers.schedule(lease.id, lease.expiresAt, this.clock.now(), () => {
      this.release.release(lease.id, END_CAUSES.ttl).catch((err) => this.logger.error(`lease ${lease.id}: TTL release failed: ${err}`));
    });
  }
}
