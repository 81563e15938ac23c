import { MediaGateway, type PsSubscriber } from '@app/gateway';
import { isActiveState, LeaseRepository } from '@app/ledger';
import { Injectable } from '@nestjs/common';
import { LeaseEndedError, LeaseNotFoundError, TooManyPullsError } from '../errors';

/**
 * A live pull of a lease's reassembled MPEG-PS: subscribes `subscriber` to the lease's fan-out
 * when the lease is active and has fewer than `limit` live pulls. `stillWanted` runs between
 * the read and the subscription: a client that hung up meanwhile is not subscribed (null).
 */
@Injectable()
export class PullLiveStreamUseCase {
  constructor(
    private readonly leases: LeaseRepository,
    private readonly gateway: MediaGateway,
  ) {}

  async subscribe(
    leaseId: string,
    limit: number,
    subscriber: PsSubscriber,
    stillWanted: () => Promise<boolean>,
  ): Promise<(() => void) | null> {
    const lease = await this.leases.findById(leaseId);
    if (!lease) throw new LeaseNotFoundError(leaseId);
    if (!(await stillWanted())) return null;
    if (!isActiveState(lease.state)) throw new LeaseEndedError(leaseId, lease.state);
    if ((this.gateway.stats(leaseId)?.liveClients ?? 0) >= limit) throw new TooManyPullsError(leaseId, limit);
    const unsubscribe = this.gateway.subscribe(leaseId, subscriber);
    if (!unsubscribe) throw new LeaseEndedError(leaseId, 'closing');
    return unsubscribe;
  }
}
