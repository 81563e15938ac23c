import { Clock, LeaseQueries, LedgerLifecycle, ListenTrouble, MediaView, ReleaseLeaseUseCase, ResumeRetries } from '@app/leasing';
import { Reconciler } from '@app/reconciler';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { CronTime } from 'cron';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../config/settings';
import { SETTINGS } from '../config/settings.token';
import { Readiness } from './readiness';

const PING_TIMEOUT_MS = 2000;
/** A lease seen without listeners is looked at again after this, so a lease being opened or released is not reported. */
const RECHECK_AFTER_MS = 150;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  const timeout = new Promise<never>(
    (_, reject) => (t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)),
  );
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** boot: up once the boot sequence finished; down (phase `starting`) before. */
@Injectable()
export class BootHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly readiness: Readiness,
  ) {}

  check(): HealthIndicatorResult {
    const i = this.health.check('boot');
    if (this.readiness.ready) return i.up({ phase: 'ready', readySince: new Date(this.readiness.since as number).toISOString() });
    return i.down({ phase: 'starting', message: 'connecting to the ledger, resuming leases, first reconcile pass' });
  }
}

/** database: one cheap round trip; while the first connection is retried, how many attempts and the last error. */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly lifecycle: LedgerLifecycle,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const i = this.health.check('database');
    const startup = this.lifecycle.startup;
    try {
      await withTimeout(this.lifecycle.ping(), PING_TIMEOUT_MS, 'the database');
      return i.up({ dialect: this.lifecycle.dialect });
    } catch (err) {
      return i.down({
        dialect: this.lifecycle.dialect,
        message: message(err),
        ...(startup.connected ? {} : { connectAttempts: startup.attempts, lastConnectError: startup.lastError }),
      });
    }
  }
}

/**
 * listeners: every active lease of this node has its listeners open in the gateway. A lease
 * whose sockets the release routine closed while its terminal write waits for the ledger is
 * not counted (it is ending); when the ledger cannot be read, the check says so and stays up
 * (the database check is the one that is down). Down, naming the error, while a listen() error
 * about the host (bind address not up, out of descriptors) is recent or leases wait to re-open.
 */
@Injectable()
export class ListenerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly queries: LeaseQueries,
    private readonly media: MediaView,
    private readonly release: ReleaseLeaseUseCase,
    private readonly readiness: Readiness,
    private readonly retries: ResumeRetries,
    private readonly trouble: ListenTrouble,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const i = this.health.check('listeners');
    const failing = this.trouble.current();
    if (failing || this.retries.size > 0) {
      const listenError = failing ? { code: failing.code, port: failing.port, at: new Date(failing.at).toISOString() } : null;
      return i.down({
        open: this.media.openLeases,
        waitingToReopen: this.retries.size,
        listenError,
        message: `listen() fails${failing ? ` (${failing.code})` : ''} for a reason not about the pairs; ${this.retries.size} leases wait to re-open`,
      });
    }
    if (!this.readiness.ready) return i.up({ checked: false, reason: 'starting', open: this.media.openLeases });
    let ids: string[];
    try {
      ids = await this.queries.activeIds();
    } catch (err) {
      return i.up({ checked: false, reason: `the ledger cannot be read: ${message(err)}`, open: this.media.openLeases });
    }
    let missing = this.missing(ids);
    if (missing.length > 0) {
      await sleep(RECHECK_AFTER_MS);
      const still = new Set(await this.queries.activeIds().catch(() => missing));
      missing = this.missing(missing).filter((id) => still.has(id));
    }
    const detail = { active: ids.length, open: this.media.openLeases };
    if (missing.length === 0) return i.up(detail);
    return i.down({
      ...detail,
      notListening: missing.length,
      leaseIds: missing.slice(0, 50),
      message: 'active leases without open listeners',
    });
  }

  private missing(ids: string[]): string[] {
    return ids.filter((id) => !this.media.isListening(id) && !this.release.isEnding(id));
  }
}

/** reconciler: its last pass ran recently enough (three periods, at least a minute). */
@Injectable()
export class ReconcilerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly readiness: Readiness,
    private readonly clock: Clock,
    // Optional, so the check can be wired into an app without the reconciler.
    @Optional() private readonly reconciler?: Reconciler,
  ) {}

  check(): HealthIndicatorResult {
    const i = this.health.check('reconciler');
    if (!this.reconciler) return i.up({ wired: false });
    const maxAgeS = Math.max(60, 3 * this.periodS());
    const last = this.reconciler.lastReport;
    if (!last) {
      if (!this.readiness.ready) return i.up({ lastPassAt: null, reason: 'starting', maxAgeS });
      return i.down({ lastPassAt: null, maxAgeS, message: 'no reconcile pass has completed' });
    }
    const ageS = Math.round((this.clock.now() - last.startedAt) / 1000);
    const detail = {
      lastPassAt: new Date(last.startedAt).toISOString(),
      ageS,
      maxAgeS,
      lastPassFindings: last.findings.length,
      running: this.reconciler.running,
    };
    return ageS <= maxAgeS ? i.up(detail) : i.down({ ...detail, message: `the last reconcile pass ran ${ageS} s ago` });
  }

  private periodS(): number {
    const { cron, intervalS } = this.settings.reconcile;
    if (!cron) return intervalS;
    try {
      const [a, b] = new CronTime(cron).sendAt(2);
      return Math.max(1, Math.round((b.toMillis() - a.toMillis()) / 1000));
    } catch {
      return intervalS;
    }
  }
}

export const HEALTH_INDICATORS = [BootHealthIndicator, DatabaseHealthIndicator, ListenerHealthIndicator, ReconcilerHealthIndicator];
