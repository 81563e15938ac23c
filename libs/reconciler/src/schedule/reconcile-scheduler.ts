import { LEASING_OPTIONS, readEphemeralOverlapWarning, type LeasingOptions } from '@app/leasing';
import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { RECONCILER_OPTIONS, type ResolvedReconcilerOptions } from '../reconciler.options';
import { Reconciler } from '../reconcile/reconciler.service';

const JOB = 'reconcile';

/**
 * Runs `reconcileOnce()` every RECONCILE_INTERVAL_S, or at the times of RECONCILE_CRON, never
 * overlapping itself (a tick while a pass runs is skipped, not queued). Failures are logged
 * and counted; the next tick tries again. Started by the boot sequence after the first pass.
 */
@Injectable()
export class ReconcileScheduler implements OnModuleDestroy {
  private readonly logger = new Logger(ReconcileScheduler.name);
  private interval: NodeJS.Timeout | null = null;
  private cron: CronJob | null = null;
  private failures = 0;
  private skipped = 0;

  constructor(
    @Inject(RECONCILER_OPTIONS) private readonly options: ResolvedReconcilerOptions,
    @Inject(LEASING_OPTIONS) private readonly ledger: LeasingOptions,
    private readonly reconciler: Reconciler,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {}

  async start(): Promise<void> {
    this.stop();
    const warning = await readEphemeralOverlapWarning(this.ledger.range);
    if (warning) this.logger.warn(warning);
    if (this.options.cron) {
      this.cron = CronJob.from({ cronTime: this.options.cron, onTick: () => this.tick(), start: true });
      this.registry?.addCronJob(JOB, this.cron);
      this.logger.log(`reconciler scheduled by cron "${this.options.cron}"`);
    } else {
      this.interval = setInterval(() => this.tick(), this.options.intervalS * 1000);
      this.interval.unref();
      this.registry?.addInterval(JOB, this.interval);
      this.logger.log(`reconciler runs every ${this.options.intervalS} s`);
    }
  }

  stop(): void {
    if (this.interval) {
      clearInterval(this.interval);
      if (this.registry?.doesExist('interval', JOB)) this.registry.deleteInterval(JOB);
    }
    if (this.cron) {
      void this.cron.stop();
      if (this.registry?.doesExist('cron', JOB)) this.registry.deleteCronJob(JOB);
    }
    this.interval = null;
    this.cron = null;
  }

  /** How many scheduled passes failed, and how many ticks found a pass still running. */
  get counters(): { failures: number; skipped: number } {
    return { failures: this.failures, skipped: this.skipped };
  }

  private tick(): void {
    if (this.reconciler.running) {
      this.skipped++;
      this.logger.warn('reconcile tick skipped: the previous pass is still running');
      return;
    }
    this.reconciler.reconcileOnce().catch((err) => {
      this.failures++;
      this.logger.error(`scheduled reconcile pass failed: ${err instanceof Error ? err.message : err}`);
    });
  }

  onModuleDestroy(): void {
    this.stop();
  }
}
