import { LeaseRepository, NodeLockRepository } from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { NODE_STALE_MS } from '../node-lock/node-lock.service';

export interface FleetNode {
  nodeId: string;
  /** the process that runs it (its node_locks row), null when none has a row (it stopped, its leases stay) */
  host: string | null;
  pid: number | null;
  heartbeatAt: number | null;
  /** a process heartbeats for it right now */
  running: boolean;
  /** the node this process is */
  self: boolean;
}

/**
 * The nodes of the ledger: each NODE_ID with a process row in node_locks, and each that holds
 * active leases (a node that stopped keeps its leases until it starts again). One ledger =
 * one fleet; on SQLite that is usually this node alone.
 */
@Injectable()
export class FleetNodesQuery {
  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly holders: NodeLockRepository,
    private readonly leases: LeaseRepository,
    private readonly clock: Clock,
  ) {}

  async nodes(): Promise<FleetNode[]> {
    const [holders, withLeases] = await Promise.all([this.holders.all(), this.leases.activeNodeIds()]);
    const now = this.clock.now();
    const byId = new Map<string, FleetNode>();
    for (const h of holders)
      byId.set(h.nodeId, {
        nodeId: h.nodeId,
        host: h.host,
        pid: h.pid,
        heartbeatAt: h.heartbeatAt,
        running: now - h.heartbeatAt < NODE_STALE_MS,
        self: h.nodeId === this.options.nodeId,
      });
    for (const id of [this.options.nodeId, ...withLeases])
      if (!byId.has(id))
        byId.set(id, {
          nodeId: id,
          host: null,
          pid: null,
          heartbeatAt: null,
          running: id === this.options.nodeId,
          self: id === this.options.nodeId,
        });
    return [...byId.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }
}
