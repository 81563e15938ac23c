import { MediaGateway } from '@app/gateway';
import { isActiveState, LeaseRepository, type LeaseState } from '@app/ledger';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';

export type OrphanCloseResult = { outcome: 'closed'; leaseState: LeaseState | null } | { outcome: 'lease-active' };

/** Closes listeners the gateway holds for a lease that is not active on this node (any more). */
@Injectable()
export class CloseOrphanListenerUseCase {
  private readonly logger = new Logger(CloseOrphanListenerUseCase.name);

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly gateway: MediaGateway,
  ) {}

  /**
   * Forward connections no open session of their lease owns (`orphan-forward`): closed whatever
   * the lease's state, since the lease's own session, if any, keeps its own forward. Returns how many.
   */
  async closeForwards(leaseId: string): Promise<number> {
    const closed = await this.gateway.closeForwards(leaseId);
    if (closed > 0) this.logger.warn(`lease ${leaseId}: ${closed} orphan forward connection(s) closed`);
    return closed;
  }

  async close(leaseId: string, port: number | null): Promise<OrphanCloseResult> {
    const lease = await this.leases.findById(leaseId);
    if (lease && isActiveState(lease.state) && lease.nodeId === this.options.nodeId) return { outcome: 'lease-active' };
    await this.gateway.close(leaseId);
    this.logger.warn(`lease ${leaseId} port ${port}: orphan listener closed (lease ${lease ? lease.state : 'unknown'})`);
    return { outcome: 'closed', leaseState: lease?.state ?? null };
  }
}
