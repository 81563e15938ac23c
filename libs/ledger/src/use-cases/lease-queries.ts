import { MediaGateway } from '@app/gateway';
import { Inject, Injectable } from '@nestjs/common';
import { isActiveState, type Lease, type LeaseEvent } from '../domain/lease';
import type { QuarantineEntry } from '../domain/quarantine';
import { LeaseNotFoundError } from '../errors';
import { LEDGER_OPTIONS, type LedgerOptions } from '../ledger.options';
import { readEphemeralOverlapWarning } from '../ports/ephemeral-range';
import { PortPool } from '../ports/port-pool.service';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository, type LeaseHistoryFilter, type Page } from '../repositories/lease.repository';
import { QuarantineRepository } from '../repositories/quarantine.repository';

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

/** Read side for the admin API: leases, their events and stats, and port usage. */
@Injectable()
export class LeaseQueries {
  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerOptions,
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

  async findActiveByStream(streamId: string): Promise<Lease> {
    const lease = await this.leases.findActiveByStream(this.options.nodeId, streamId);
    if (!lease) throw new LeaseNotFoundError(`for stream ${streamId}`);
    return lease;
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
      warnings: [`counted from the ledger against this node's (${this.options.nodeId}) MEDIA_PORT_RANGE; ${nodeId}'s own range is not stored`],
    };
  }
}
