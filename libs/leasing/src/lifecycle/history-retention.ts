import { LeaseEventRepository, LeaseRepository, LedgerDatabase } from '@app/ledger';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { Clock } from '../domain/clock';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
export const DEFAULT_HISTORY_RETENTION_DAYS = 90;

export interface PruneSummary {
  leases: number;
  events: number;
  batches: number;
}

/**
 * Keeps the history bounded: this node's ended leases (and their events) that ended more than
 * HISTORY_RETENTION_DAYS ago are deleted, hourly, in small batches. Each batch is one short
 * transaction (on SQLite it waits in the one queue like any write), so allocation never
 * waits behind a long delete. Active leases are never touched, whatever their age.
 */
@Injectable()
export class HistoryRetention implements OnApplicationShutdown {
  private readonly logger = new Logger(HistoryRetention.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneSummary> | null = null;
  private stopped = false;

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly clock: Clock,
  ) {}

  get retentionDays(): number {
    return this.options.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS;
  }

  /** Prunes now (in the background) and then every `everyMs`. */
  start(everyMs = HOUR_MS): void {
    this.stop();
    this.stopped = false;
    const tick = () =>
      void this.pruneOnce().catch((err) => this.logger.error(`history pruning failed: ${err instanceof Error ? err.message : err}`));
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
    tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pruning run (or the one already running). */
  pruneOnce(batchSize = 500): Promise<PruneSummary> {
    if (this.running) return this.running;
    const run = this.prune(batchSize).finally(() => (this.running = null));
    this.running = run;
    return run;
  }

  private async prune(batchSize: number): Promise<PruneSummary> {
    const cutoff = this.clock.now() - this.retentionDays * DAY_MS;
    const { nodeId } = this.options;
    const total: PruneSummary = { leases: 0, events: 0, batches: 0 };
    for (;;) {
      const batch = await this.db.transaction(async (tx) => {
        const ids = await this.leases.findEndedBefore(tx, nodeId, cutoff, batchSize);
        if (ids.length === 0) return { leases: 0, events: 0, found: 0 };
        const events = await this.events.deleteForLeases(tx, ids);
        const leases = await this.leases.deleteEnded(tx, ids);
        return { leases, events, found: ids.length };
      });
      if (batch.found === 0) break;
      total.leases += batch.leases;
      total.events += batch.events;
      total.batches++;
      if (batch.found < batchSize || this.stopped) break;
      await yieldToOthers();
    }
    if (total.leases > 0) {
      this.logger.log(
        `history: pruned ${total.leases} ended leases and ${total.events} events older than ${this.retentionDays} days (${total.batches} batches)`,
      );
    }
    return total;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.stop();
  }
}
