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

  async close(leaseId: string, port: number | null): Promise<OrphanCloseResult> {
    const lease = await this.leases.findById(leaseId);
    if (lease && isActiveState(lease.state) && lease.nodeId === this.options.nodeId) return { outcome: 'lease-active' };
    await this.gateway.close(leaseId);
    this.logger.warn(`lease ${leaseId} port ${port}: orphan listener closed (lease ${lease ? lease.state : 'unknown'})`);
    return { outcome: 'closed', leaseState: lease?.state ?? null };
  }
}
