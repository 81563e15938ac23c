import { MediaGateway, type GatewayForwardView, type GatewayListenerView, type LeaseStreamStats } from '@app/gateway';
import {
  isActiveState,
  LeaseEventRepository,
  LeaseRepository,
  QuarantineRepository,
  type ActiveLeaseSlot,
  type Lease,
  type LeaseEvent,
  type LeaseHistoryFilter,
  type Page,
  type QuarantineEntry,
} from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { leaseStreamId } from '../domain/lease-input';
import { LeaseNotFoundError } from '../errors';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { readEphemeralOverlapWarning } from '../ports/ephemeral-range';
import type { PairCounts, PairStatus } from '../ports/pair-selector';
import { PortPool } from '../ports/port-pool.service';

export interface LeaseDetail {
  lease: Lease;
  stats: Record<string, unknown> | null;
  events: LeaseEvent[];
}

export interface PortUsage {
  nodeId: string;
  range: { start: number; end: number };
  pairs: number;
  leased: number;
  quarantined: number;
  free: number;
  quarantine: QuarantineEntry[];
  warnings: string[];
}

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 1000;

/** Read side for the entry points and the reconciler: leases, their events and stats, this node's pairs. */
@Injectable()
export class LeaseQueries {
  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly quarantine: QuarantineRepository,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
  ) {}

  /** The lease, its stats and its last `lastEvents` events (read from the newest end, never all). */
  async get(id: string, lastEvents = 20): Promise<LeaseDetail> {
    const lease = await this.lease(id);
    const live = isActiveState(lease.state) ? this.gateway.stats(id) : null;
    return { lease, stats: live ?? lease.finalStats, events: await this.events.last(id, lastEvents) };
  }

  /** The lease alone (no events, no stats). */
  async lease(id: string): Promise<Lease> {
    const lease = await this.leases.findById(id);
    if (!lease) throw new LeaseNotFoundError(id);
    return lease;
  }

  /** This node's active leases, in port order. */
  active(): Promise<Lease[]> {
    return this.leases.findActiveForNode(this.options.nodeId);
  }

  /** Ids of this node's active leases (the health check's listener comparison). */
  activeIds(): Promise<string[]> {
    return this.leases.activeIdsForNode(this.options.nodeId);
  }

  /**
   * The stream's active lease while its device connection delivers accepted media, with the
   * connection's stats (the ZLMediaKit API's getRtpInfo); null otherwise.
   */
  async streaming(streamId: string): Promise<{ lease: Lease; stats: LeaseStreamStats } | null> {
    const lease = await this.leases.findActiveByStream(this.options.nodeId, leaseStreamId(streamId));
    if (!lease || lease.state !== 'streaming') return null;
    const stats = this.gateway.stats(lease.id);
    return stats?.connected && stats.peer ? { lease, stats } : null;
  }

  /** What the reconciler compares: this node's active leases above `afterPort`, in port order, at most `limit`. */
  activeSlots(afterPort: number, limit: number): Promise<ActiveLeaseSlot[]> {
    return this.leases.findActiveSlotsForNode(this.options.nodeId, afterPort, limit);
  }

  /** The gateway's listener pairs right now (the reconciler's second view). */
  listeners(): GatewayListenerView[] {
    return this.gateway.listeners();
  }

  /** Every forward connection the gateway holds, with or without an open session of its lease. */
  forwards(): GatewayForwardView[] {
    return this.gateway.forwards();
  }

  /** This node's quarantined pairs. */
  quarantined(): Promise<QuarantineEntry[]> {
    return this.quarantine.forNode(this.options.nodeId);
  }

  /** This node's pairs by status, from memory (metrics). */
  pairCounts(): PairCounts {
    return this.pool.pairs.counts();
  }

  /** How many pairs MEDIA_PORT_RANGE holds. */
  get pairTotal(): number {
    return this.pool.pairs.pairs.length;
  }

  /** The RTP port of the pair a port of the range belongs to, or null outside the range. */
  rtpPortOf(port: number): number | null {
    return this.pool.pairs.rtpPortOf(port);
  }

  /** Whether a pair (by its RTP port) is free, leased or quarantined right now. */
  pairStatus(rtpPort: number): PairStatus | null {
    return this.pool.pairs.statusOf(rtpPort);
  }

  history(filter: LeaseHistoryFilter): Promise<Page<Lease>> {
    return this.leases.history(filter);
  }

  /** One page of a lease's events, oldest first (`cursor`: nextCursor of the previous page). */
  async eventsOf(id: string, page: { limit?: number; cursor?: string } = {}): Promise<Page<LeaseEvent>> {
    await this.lease(id);
    return this.events.page(id, page.limit ?? DEFAULT_EVENT_PAGE, page.cursor);
  }

  /**
   * This node's usage from its in-memory pool; another node's (`nodeId`) from the ledger: its
   * active rows and quarantine rows, counted against this node's range (a fleet shares one
   * MEDIA_PORT_RANGE; ranges are not stored per node).
   */
  async portUsage(nodeId?: string): Promise<PortUsage> {
    if (nodeId !== undefined && nodeId !== this.options.nodeId) return this.foreignPortUsage(nodeId);
    const counts = this.pool.pairs.counts();
    const warning = await readEphemeralOverlapWarning(this.options.range);
    return {
      nodeId: this.options.nodeId,
      range: { ...this.options.range },
      ...counts,
      quarantine: await this.quarantine.forNode(this.options.nodeId),
      warnings: warning ? [warning] : [],
    };
  }

  private async foreignPortUsage(nodeId: string): Promise<PortUsage> {
    const { start, end } = this.options.range;
    const [leased, quarantine] = await Promise.all([this.leases.countActiveByNode(nodeId), this.quarantine.forNode(nodeId)]);
    const pairs = Math.floor((end - (start % 2 === 0 ? start : start + 1) + 1) / 2);
    const quarantined = quarantine.length;
    return {
      nodeId,
      range: { start, end },
      pairs,
      leased,
      quarantined,
      free: Math.max(0, pairs - leased - quarantined),
      quarantine,
      warnings: [
        `counted from the ledger against this node's (${this.options.nodeId}) MEDIA_PORT_RANGE; ${nodeId}'s own range is not stored`,
      ],
    };
  }
}
