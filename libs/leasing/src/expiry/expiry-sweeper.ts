import { LeaseRepository } from '@app/ledger';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { END_CAUSES } from '../domain/end-causes';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { ReleaseLeaseUseCase } from '../use-cases/release-lease.use-case';

/** Catches any overdue lease a timer missed (a timer can be lost; a row cannot). */
@Injectable()
export class ExpirySweeper implements OnApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly release: ReleaseLeaseUseCase,
    private readonly clock: Clock,
  ) {}

  start(everyMs = 5000): void {
    this.stop();
    this.timer = setInterval(() => void this.sweep(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Ends every overdue active lease of this node; returns how many it ended. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const overdue = await this.leases.findOverdue(this.options.nodeId, this.clock.now());
      for (const lease of overdue) await this.release.release(lease.id, END_CAUSES.ttl);
      return overdue.length;
    } catch (err) {
      this.logger.error(`expiry sweep failed: ${String(err)}`);
      return 0;
    } finally {
      this.running = false;
    }
  }

  onApplicationShutdown(): void {
    this.stop();
  }
}
