import {
  Clock,
  IdGenerator,
  LEASING_OPTIONS,
  LeaseQueries,
  LedgerUnavailableError,
  ReconcileReportStore,
  type ActiveLeaseSlot,
  type LeasingOptions,
} from '@app/leasing';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { OsViewReader } from '../os/os-view';
import { RECONCILER_OPTIONS, type ResolvedReconcilerOptions } from '../reconciler.options';
import { comparisonSteps } from './compare-views';
import { ConfirmationTracker } from './confirmation-tracker';
import { decide } from './decide';
import type { Observation, ReconcileFinding, ReconcileReport } from './finding';
import { PortMap } from './port-set';
import { ReconcileActions, type Outcome } from './reconcile-actions';

const DAY_MS = 24 * 3600 * 1000;
/** Rows per SQLite read: 250 take ~0.4 ms; the read is synchronous (better-sqlite3). */
const LEASE_PAGE = 250;

/**
 * One node's reconciler. `reconcileOnce()` reads this node's active leases from the ledger,
 * then the gateway's registry, then the OS's TCP tables; compares them port by port
 * (compareViews); decides per finding (decide); asks libs/leasing to act (ReconcileActions);
 * and stores a report. Single-flight: a call while a pass runs gets that pass's report.
 */
@Injectable()
export class Reconciler implements OnModuleDestroy {
  private readonly logger = new Logger(Reconciler.name);
  private readonly tracker = new ConfirmationTracker();
  private inFlight: Promise<ReconcileReport> | null = null;
  private closing = false;
  private last: ReconcileReport | null = null;
  /** the last pass's active leases by RTP port (see readActiveLeases) */
  private slots = new PortMap<ActiveLeaseSlot>();

  constructor(
    @Inject(RECONCILER_OPTIONS) private readonly options: ResolvedReconcilerOptions,
    @Inject(LEASING_OPTIONS) private readonly node: LeasingOptions,
    private readonly queries: LeaseQueries,
    private readonly osView: OsViewReader,
    private readonly actions: ReconcileActions,
    private readonly reports: ReconcileReportStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /** Runs one pass (or joins the one running) and resolves with its report, already stored. */
  reconcileOnce(): Promise<ReconcileReport> {
    if (this.inFlight) return this.inFlight;
    const run = this.pass().finally(() => (this.inFlight = null));
    this.inFlight = run;
    return run;
  }

  get running(): boolean {
    return this.inFlight !== null;
  }

  get lastReport(): ReconcileReport | null {
    return this.last;
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await this.inFlight?.catch(() => undefined);
  }

  private async pass(): Promise<ReconcileReport> {
    const startedAt = this.clock.now();
    const t0 = performance.now();
    let leases, quarantine;
    try {
      leases = await this.readActiveLeases();
      quarantine = await this.queries.quarantined();
    } catch (err) {
      throw new LedgerUnavailableError(err);
    }
    const gateway = this.queries.listeners();
    const os = await this.osView.read(gateway);
    const now = this.clock.now();
    const steps = comparisonSteps({
      now,
      minAgeMs: this.options.minAgeMs,
      deadPeerRetransmits: this.options.deadPeerRetransmits,
      rtpPortOf: (p) => this.queries.rtpPortOf(p),
      leases,
      quarantine,
      gateway,
      forwards: this.queries.forwards(),
      os: os.view,
    });
    // Each step is synchronous and bounded: the event loop gets its turn before each.
    const observations: Observation[] = [];
    for (const step of steps) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const o of step()) observations.push(o);
    }

    const deferred = os.problem !== null;
    this.tracker.begin();
    const findings: ReconcileFinding[] = [];
    for (const o of observations) findings.push(await this.handle(o, now, deferred));
    this.tracker.end(deferred);

    const report: ReconcileReport = {
      id: this.ids.next(),
      nodeId: this.node.nodeId,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      checkedPorts: this.queries.pairTotal * 2,
      deferred,
      osReadError: os.problem,
      findings,
    };
    await this.reports.save(report, {
      olderThan: report.startedAt - this.options.reportRetentionDays * DAY_MS,
      keep: this.options.maxReports,
    });
    this.log(report);
    this.last = report;
    return report;
  }

  /**
   * This node's active leases, a page at a time with a turn of the event loop between pages.
   * A lease whose row is the same as at the last pass is handed on as last pass's object (the
   * new one dies young): 5,000 fresh slots, alive through the pass, were what each GC that fell
   * inside it copied most. The slots are read-only.
   */
  private async readActiveLeases(): Promise<ActiveLeaseSlot[]> {
    const all: ActiveLeaseSlot[] = [];
    const seen = new PortMap<ActiveLeaseSlot>();
    for (let after = -1; ;) {
      const page = await this.queries.activeSlots(after, LEASE_PAGE);
      for (const row of page) {
        const was = this.slots.get(row.rtpPort);
        const slot = was !== undefined && sameSlot(was, row) ? was : copySlot(row);
        all.push(slot);
        seen.set(slot.rtpPort, slot);
      }
      if (page.length < LEASE_PAGE) break;
      after = page[page.length - 1].rtpPort;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.slots = seen;
    return all;
  }

  private async handle(o: Observation, now: number, deferred: boolean): Promise<ReconcileFinding> {
    const seen = o.key === null ? null : this.tracker.observe(o.key, now, o.fromOs);
    const d = decide(o, {
      now,
      seen,
      confirmPasses: this.options.confirmPasses,
      minAgeMs: this.options.minAgeMs,
      deferred,
      closing: this.closing,
    });
    switch (d.verdict) {
      case 'pending':
        return findingOf(o, { action: 'pending', detail: d.detail });
      case 'skip':
        return findingOf(o, { action: 'skipped', detail: { why: d.why } });
      case 'defer':
        return findingOf(o, { action: 'deferred' });
      case 'act':
        try {
          const outcome = await this.actions.run(d.repair);
          if (o.key !== null && outcome.action !== 'deferred') this.tracker.forget(o.key);
          return findingOf(o, outcome);
        } catch (err) {
          this.logger.error(`${o.kind} on port ${o.port}${o.leaseId ? ` lease ${o.leaseId}` : ''}: action failed: ${String(err)}`);
          return findingOf(o, { action: 'failed', detail: { error: err instanceof Error ? err.message : String(err) } });
        }
    }
  }

  private log(r: ReconcileReport): void {
    const acted = r.findings.filter((f) => f.action !== 'pending');
    if (r.deferred) this.logger.warn(`reconcile ${r.id}: OS view not trusted (${r.osReadError}); reclaims deferred`);
    for (const f of acted) {
      this.logger.warn(`reconcile ${r.id}: ${f.kind} port ${f.port ?? '-'}${f.leaseId ? ` lease ${f.leaseId}` : ''}: ${f.action}`);
    }
    this.logger.debug(`reconcile ${r.id}: ${r.findings.length} findings in ${r.durationMs} ms`);
  }
}

/**
 * The slot kept until the next pass, made here rather than kept as the repository's object.
 * V8 pretenures an allocation site whose objects tend to survive: when the slots kept were the
 * repository's, its row mapping became such a site (every slot of the first pass is kept), so
 * every pass's 5,000 mapped rows went straight to the old generation, and the young strings
 * they point to (ids, states) were promoted at each scavenge (1.0-1.3 MB, 3-6 ms pauses).
 */
function copySlot(s: ActiveLeaseSlot): ActiveLeaseSlot {
  return { id: s.id, rtpPort: s.rtpPort, rtcpPort: s.rtcpPort, state: s.state, createdAt: s.createdAt, expiresAt: s.expiresAt };
}

function sameSlot(a: ActiveLeaseSlot, b: ActiveLeaseSlot): boolean {
  return (
    a.id === b.id &&
    a.rtpPort === b.rtpPort &&
    a.rtcpPort === b.rtcpPort &&
    a.state === b.state &&
    a.createdAt === b.createdAt &&
    a.expiresAt === b.expiresAt
  );
}

/** The reported finding: the observation with what came of it. */
function findingOf(o: Observation, outcome: Outcome): ReconcileFinding {
  // ReconcileActions answers each repair only with its kind's actions (RepairActions) or a guard action.
  return {
    kind: o.kind,
    port: o.port,
    leaseId: o.leaseId,
    action: outcome.action,
    detail: { ...o.detail, ...outcome.detail },
  } as ReconcileFinding;
}
