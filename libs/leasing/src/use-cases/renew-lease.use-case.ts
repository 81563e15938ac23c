import { isActiveState, LeaseRepository, type Lease } from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { ForeignNodeError, LeaseEndedError, LeaseNotFoundError } from '../errors';
import { ExpiryScheduler } from '../expiry/expiry-scheduler';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
import { transitioned } from '../transitions/lease-transitions';

/** Pushes `expiresAt` out to now + ttl (the lease's own TTL when none is given). */
@Injectable()
export class RenewLeaseUseCase {
  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly writer: LeaseTransitionWriter,
    private readonly expiry: ExpiryScheduler,
    private readonly clock: Clock,
  ) {}

  async renew(leaseId: string, ttlSeconds?: number): Promise<Lease> {
    const lease = await this.leases.findById(leaseId);
    if (!lease) throw new LeaseNotFoundError(leaseId);
    if (!isActiveState(lease.state)) throw new LeaseEndedError(leaseId, lease.state);
    if (lease.nodeId !== this.options.nodeId) throw new ForeignNodeError(leaseId, lease.nodeId, this.options.nodeId);
    const now = this.clock.now();
    const ttlS = ttlSeconds ?? lease.ttlS;
    const renewed = { kind: 'renewed', ttlS, expiresAt: now + ttlS * 1000 } as const;
    if (!(await this.writer.apply(lease, renewed, now))) throw new LeaseEndedError(leaseId, 'ended');
    this.expiry.arm({ id: leaseId, expiresAt: renewed.expiresAt });
    return transitioned(lease, renewed, now);
  }
}
