import { MediaGateway } from '@app/gateway';
import { LeaseRepository, QuarantineRepository, type Lease, type QuarantineEntry } from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { PortPool } from '../ports/port-pool.service';

/**
 * The live stats a grid cell carries by default, picked from the lease's stats by name (a stat
 * that a lease does not have is left out). The whole stats object is on GET /leases/:id; the
 * grid carries a subset because it holds every pair of the range on each refresh. A caller may
 * name its own subset (the admin console asks for the stats its field table shows in a cell).
 */
export const GRID_LIVE_STATS = ['peer', 'connected', 'bitrateKbps', 'packets', 'lost', 'codec', 'forward'] as const;

/**
 * A pair's state: an active lease's own state (`reserved`, `listening`, `streaming`), or
 * `free` / `quarantined`. A pair this node's pool has handed out whose row is not written yet
 * (the moment between take and insert) is `reserved`.
 */
export interface PairCell {
  rtpPort: number;
  rtcpPort: number;
  state: string;
  lease: Lease | null;
  /** GRID_LIVE_STATS of the lease's live stats; null for another node's pairs (their stats live in that process) */
  live: Record<string, unknown> | null;
  quarantine: QuarantineEntry | null;
}

export interface PairGrid {
  nodeId: string;
  range: { start: number; end: number };
  pairs: PairCell[];
  /** pairs, free, leased, quarantined (as GET /ports), and cells per state */
  totals: { pairs: number; free: number; leased: number; quarantined: number; byState: Record<string, number> };
  warnings: string[];
}

/** Every pair of the range with its state, lease and live stats, in one read (the admin console's grid). */
@Injectable()
export class PairGridQuery {
  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly quarantine: QuarantineRepository,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
  ) {}

  /**
   * This node's grid from its pool (the same counts as GET /ports) and live stats; another
   * node's (`nodeId`) from the ledger alone, against this node's range (a fleet shares one).
   */
  async grid(nodeId?: string, liveStats: readonly string[] = GRID_LIVE_STATS): Promise<PairGrid> {
    const node = nodeId ?? this.options.nodeId;
    const own = node === this.options.nodeId;
    const [active, quarantined] = await Promise.all([this.leases.findActiveForNode(node), this.quarantine.forNode(node)]);
    const byPort = new Map(active.map((l) => [l.rtpPort, l]));
    const quarantineByPort = new Map(quarantined.map((q) => [q.rtpPort, q]));
    const pairs = this.pool.pairs.pairs.map((rtpPort): PairCell => {
      const lease = byPort.get(rtpPort) ?? null;
      const q = quarantineByPort.get(rtpPort) ?? null;
      return {
        rtpPort,
        rtcpPort: rtpPort + 1,
        state: lease?.state ?? (own ? this.poolState(rtpPort) : q ? 'quarantined' : 'free'),
        lease,
        live: lease && own ? this.live(lease.id, liveStats) : null,
        quarantine: lease ? null : q,
      };
    });
    const warnings = own
      ? []
      : [`${node}'s pairs from the ledger, against this node's (${this.options.nodeId}) range; live stats are on ${node} itself`];
    return { nodeId: node, range: { ...this.options.range }, pairs, totals: totalsOf(pairs), warnings };
  }

  private poolState(rtpPort: number): string {
    const s = this.pool.pairs.statusOf(rtpPort);
    return s === 'taken' ? 'reserved' : (s ?? 'free');
  }

  private live(leaseId: string, keys: readonly string[]): Record<string, unknown> | null {
    const stats = this.gateway.stats(leaseId) as Record<string, unknown> | null;
    if (!stats) return null;
    const out: Record<string, unknown> = {};
    for (const k of keys) if (Object.prototype.hasOwnProperty.call(stats, k) && stats[k] !== undefined) out[k] = stats[k];
    return out;
  }
}

function totalsOf(pairs: PairCell[]): PairGrid['totals'] {
  const byState: Record<string, number> = {};
  for (const p of pairs) byState[p.state] = (byState[p.state] ?? 0) + 1;
  const free = byState.free ?? 0;
  const quarantined = byState.quarantined ?? 0;
  return { pairs: pairs.length, free, leased: pairs.length - free - quarantined, quarantined, byState };
}
