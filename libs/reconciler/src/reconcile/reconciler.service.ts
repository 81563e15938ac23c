import { BindError, MediaGateway, type GatewayListenerView } from '@app/gateway';
import {
  Clock,
  END_CAUSES,
  IdGenerator,
  isActiveState,
  LEDGER_OPTIONS,
  LeaseRepository,
  LedgerDatabase,
  LedgerUnavailableError,
  PortPool,
  QuarantinePairUseCase,
  QuarantineRepository,
  ReconcileReportRepository,
  ReleaseLeaseUseCase,
  toBinding,
  type ActiveLeaseSlot,
  LedgerTelemetry,
  WebhookOutbox,
  type LedgerOptions,
} from '@app/ledger';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { OsSocketReader } from '../os/os-socket-reader';
import { SocketOwnerResolver } from '../os/socket-owner.resolver';
import { conflictsWithBindHost, type TcpSocket } from '../os/tcp-socket';
import { RECONCILER_OPTIONS, type ResolvedReconcilerOptions } from '../reconciler.options';
import { compareViews, type PassViews } from './compare-views';
import { ConfirmationTracker } from './confirmation-tracker';
import type { FindingAction, Observation, ReconcileFinding, ReconcileReport } from './finding';

const DAY_MS = 24 * 3600 * 1000;
const LEASE_PAGE = 500;

interface OsView {
  view: PassViews['os'];
  /** why the OS view is missing or not trusted; null when it is fine */
  problem: string | null;
}

type Outcome = { action: FindingAction; detail?: Record<string, unknown> };

/**
 * One node's reconciler. `reconcileOnce()` reads this node's active leases from the ledger,
 * then the gateway's registry, then the OS's TCP tables; compares them port by port; acts
 * through the use cases (release routine, quarantine, gateway open/close/disconnect); and
 * writes a report. Single-flight: a call while a pass runs gets that pass's report.
 *
 * Guards: a finding that could be a race needs `confirmPasses` passes in a row and `minAgeMs`
 * of age; young rows are never touched. When the OS view fails or looks inconsistent, every
 * reclaim of the pass is deferred, while lost listeners are still re-opened (that needs only
 * the ledger and the gateway) and overdue leases still expire (their TTL is the ledger's own).
 */
@Injectable()
export class Reconciler implements OnModuleDestroy {
  private readonly logger = new Logger(Reconciler.name);
  private readonly tracker = new ConfirmationTracker();
  /** socket inode → ours? An inode never changes hands, so a verdict from /proc/self/fd holds while it lives. */
  private readonly ownership = new Map<number, boolean>();
  private inFlight: Promise<ReconcileReport> | null = null;
  private closing = false;
  private last: ReconcileReport | null = null;

  constructor(
    @Inject(RECONCILER_OPTIONS) private readonly options: ResolvedReconcilerOptions,
    @Inject(LEDGER_OPTIONS) private readonly ledger: LedgerOptions,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly quarantines: QuarantineRepository,
    private readonly reports: ReconcileReportRepository,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
    private readonly release: ReleaseLeaseUseCase,
    private readonly quarantine: QuarantinePairUseCase,
    private readonly reader: OsSocketReader,
    private readonly owners: SocketOwnerResolver,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly webhooks: WebhookOutbox,
    private readonly telemetry: LedgerTelemetry,
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
    const { nodeId } = this.ledger;
    let leases, quarantine;
    try {
      leases = await this.readActiveLeases(nodeId);
      quarantine = await this.quarantines.forNode(nodeId);
    } catch (err) {
      throw new LedgerUnavailableError(err);
    }
    const gateway = this.gateway.listeners();
    const os = await this.readOs(gateway);
    // The comparison is synchronous: give the event loop its turn first.
    await new Promise((resolve) => setImmediate(resolve));
    const now = this.clock.now();
    const pairs = this.pool.pairs;
    const observations = compareViews({
      now,
      minAgeMs: this.options.minAgeMs,
      deadPeerRetransmits: this.options.deadPeerRetransmits,
      rtpPortOf: (p) => pairs.rtpPortOf(p),
      leases,
      quarantine,
      gateway,
      os: os.view,
    });

    const deferred = os.problem !== null;
    this.tracker.begin();
    const findings: ReconcileFinding[] = [];
    for (const o of observations) findings.push(await this.handle(o, now, deferred));
    this.tracker.end(deferred);

    const report: ReconcileReport = {
      id: this.ids.next(),
      nodeId,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      checkedPorts: pairs.pairs.length * 2,
      deferred,
      osReadError: os.problem,
      findings,
    };
    await this.store(report);
    this.telemetry.reconciled(report);
    this.log(report);
    this.last = report;
    return report;
  }

  /** This node's active leases, a page at a time with a turn of the event loop between pages. */
  private async readActiveLeases(nodeId: string): Promise<ActiveLeaseSlot[]> {
    const all: ActiveLeaseSlot[] = [];
    for (let after = -1; ; ) {
      const page = await this.leases.findActiveSlotsForNode(nodeId, after, LEASE_PAGE);
      all.push(...page);
      if (page.length < LEASE_PAGE) return all;
      after = page[page.length - 1].rtpPort;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async readOs(gateway: GatewayListenerView[]): Promise<OsView> {
    const { range, bindHost } = this.ledger;
    try {
      const table = await this.reader.readTable(range);
      // Only sockets that could stop our own listen() matter: ours are all at the bind host,
      // and another node of the fleet on another address is no conflict.
      const conflicts = new Map<string, boolean>();
      const inTheWay = (address: string) => {
        let c = conflicts.get(address);
        if (c === undefined) conflicts.set(address, (c = conflictsWithBindHost(address, bindHost)));
        return c;
      };
      const sockets = table.sockets.filter((s) => s.inode !== 0 && inTheWay(s.localAddress));
      const gatewayPorts = new Set<number>();
      for (const g of gateway) if (g.listening) gatewayPorts.add(g.rtpPort).add(g.rtcpPort);
      // A socket on a port our gateway listens on is ours (the listener, or a connection it
      // accepted); anything else is looked up by inode in /proc/self/fd, once per inode.
      const unknown = sockets.filter((s) => !this.ownership.has(s.inode) && !gatewayPorts.has(s.localPort));
      if (unknown.length > 0) {
        const own = await this.reader.ownSocketInodes();
        for (const s of unknown) this.ownership.set(s.inode, own.has(s.inode));
      }
      const live = new Set(sockets.map((s) => s.inode));
      for (const inode of this.ownership.keys()) if (!live.has(inode)) this.ownership.delete(inode);
      const isOwn = (s: TcpSocket) => this.ownership.get(s.inode) ?? gatewayPorts.has(s.localPort);

      if (table.malformed > 0) return { view: null, problem: `the TCP tables have ${table.malformed} unreadable lines` };
      const osListening = new Set(sockets.filter((s) => s.state === 'LISTEN').map((s) => s.localPort));
      const missing = [...gatewayPorts].filter((p) => !osListening.has(p)).length;
      if (missing > 0 && missing * 2 > gatewayPorts.size) {
        return { view: null, problem: `the TCP tables lack ${missing} of the ${gatewayPorts.size} ports our listeners hold` };
      }
      return { view: { sockets, isOwn }, problem: null };
    } catch (err) {
      return { view: null, problem: err instanceof Error ? err.message : String(err) };
    }
  }

  private async handle(o: Observation, now: number, deferred: boolean): Promise<ReconcileFinding> {
    const finding = (outcome: Outcome): ReconcileFinding => ({
      kind: o.kind,
      port: o.port,
      leaseId: o.leaseId,
      action: outcome.action,
      detail: { ...o.detail, ...outcome.detail },
    });
    if (o.key !== null) {
      const seen = this.tracker.observe(o.key, now, o.fromOs);
      if (seen.passes < this.options.confirmPasses || now - seen.firstSeen < this.options.minAgeMs) {
        return finding({ action: 'pending', detail: { seenPasses: seen.passes, firstSeenAt: new Date(seen.firstSeen).toISOString() } });
      }
    }
    if (this.closing) return finding({ action: 'skipped', detail: { why: 'shutting down' } });
    // Repairs go ahead on an untrusted OS view; reclaims wait for a pass that can see.
    if (deferred && o.kind !== 'ghost-lease' && o.kind !== 'overdue-lease') return finding({ action: 'deferred' });
    try {
      const outcome = await this.act(o, deferred);
      if (o.key !== null && outcome.action !== 'deferred') this.tracker.forget(o.key);
      return finding(outcome);
    } catch (err) {
      this.logger.error(`${o.kind} on port ${o.port}${o.leaseId ? ` lease ${o.leaseId}` : ''}: action failed: ${String(err)}`);
      return finding({ action: 'failed', detail: { error: err instanceof Error ? err.message : String(err) } });
    }
  }

  private act(o: Observation, deferred: boolean): Promise<Outcome> {
    switch (o.kind) {
      case 'overdue-lease':
        return this.expire(o.leaseId as string);
      case 'ghost-lease':
        return this.reopen(o, deferred);
      case 'orphan-listener':
        return this.closeOrphan(o);
      case 'foreign-occupant':
        return this.quarantineForeign(o);
      case 'quarantine-cleared':
        return this.quarantine.clear(o.port as number).then((removed) => ({ action: removed ? 'cleared' : 'skipped' }));
      case 'stuck-connection':
        return Promise.resolve(this.disconnect(o));
    }
  }

  private async expire(leaseId: string): Promise<Outcome> {
    const lease = await this.release.release(leaseId, END_CAUSES.ttl);
    return lease.state === 'expired' ? { action: 'expired' } : { action: 'skipped', detail: { endedAs: lease.state } };
  }

  /** A lost listener: close what is left of the lease's sockets and listen again; the row is untouched. */
  private async reopen(o: Observation, deferred: boolean): Promise<Outcome> {
    const leaseId = o.leaseId as string;
    const lease = await this.leases.findById(leaseId);
    if (!lease || !isActiveState(lease.state)) return { action: 'skipped', detail: { why: 'the lease ended meanwhile' } };
    if (o.detail.listener !== 'not-in-os' && this.gateway.isListening(leaseId)) return { action: 'skipped', detail: { why: 'listening again' } };
    await this.gateway.close(leaseId);
    try {
      await this.gateway.open(toBinding(lease));
    } catch (err) {
      const port = err instanceof BindError ? err.port : lease.rtpPort;
      const code = err instanceof BindError ? err.code : String(err);
      if (deferred) return { action: 'deferred', detail: { bindFailed: { port, code } } };
      await this.quarantine.quarantine(port, `bind-failed at re-open: ${code}`);
      await this.release.release(leaseId, { state: 'reclaimed', reason: 'listener-lost', detail: { port, code } });
      return { action: 'ended', detail: { bindFailed: { port, code } } };
    }
    // Ended while we re-opened: the release routine may have closed before our open.
    const after = await this.leases.findById(leaseId);
    if (!after || !isActiveState(after.state)) {
      await this.gateway.close(leaseId);
      return { action: 'skipped', detail: { why: 'the lease ended meanwhile' } };
    }
    this.logger.warn(`lease ${leaseId} stream ${lease.streamId} port ${lease.rtpPort}: lost listener re-opened`);
    return { action: 're-opened' };
  }

  private async closeOrphan(o: Observation): Promise<Outcome> {
    if (o.detail.holder !== 'gateway') {
      // Our process holds the socket, but nothing registered it: there is no handle to close
      // it through, and closing a raw fd under libuv would corrupt whichever handle reuses it.
      return { action: 'reported', detail: { why: 'held by this process outside the gateway; restart the service to free it' } };
    }
    const leaseId = o.leaseId as string;
    const lease = await this.leases.findById(leaseId);
    if (lease && isActiveState(lease.state) && lease.nodeId === this.ledger.nodeId) return { action: 'skipped', detail: { why: 'the lease is active now' } };
    await this.gateway.close(leaseId);
    this.logger.warn(`lease ${leaseId} port ${o.port}: orphan listener closed (lease ${lease ? lease.state : 'unknown'})`);
    return { action: 'closed', detail: { leaseState: lease?.state ?? null } };
  }

  private async quarantineForeign(o: Observation): Promise<Outcome> {
    const s = o.socket as TcpSocket;
    const rtp = this.pool.pairs.rtpPortOf(s.localPort) as number;
    const owner = (await this.owners.resolve([s])).get(s.inode) ?? { pid: null, command: null, uid: s.uid };
    if (this.pool.pairs.statusOf(rtp) === 'taken') return { action: 'reported', detail: { owner, why: 'the pair is leased; it cannot be quarantined' } };
    const who = owner.pid !== null ? `pid ${owner.pid} ${owner.command ?? ''}`.trim() : `uid ${owner.uid}`;
    await this.quarantine.quarantine(s.localPort, `foreign-occupant: ${who}`, owner);
    return { action: 'quarantined', detail: { owner } };
  }

  private disconnect(o: Observation): Outcome {
    if (!o.leaseId || !this.gateway.has(o.leaseId)) return { action: 'reported', detail: { why: 'no lease of the gateway holds this connection' } };
    const done = this.gateway.disconnectDevice(o.leaseId, `reconciler: ${String(o.detail.state)} to ${String(o.detail.peer)}`);
    return done ? { action: 'destroyed' } : { action: 'skipped', detail: { why: 'the connection had gone' } };
  }

  private async store(report: ReconcileReport): Promise<void> {
    const olderThan = report.startedAt - this.options.reportRetentionDays * DAY_MS;
    try {
      await this.db.transaction(async (tx) => {
        await this.reports.insert(tx, report);
        await this.webhooks.reconcileReport(tx, report);
        await this.reports.prune(tx, report.nodeId, olderThan, this.options.maxReports);
      });
    } catch (err) {
      throw new LedgerUnavailableError(err);
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
