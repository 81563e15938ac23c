import { Inject, Injectable } from '@nestjs/common';
import { LedgerDatabase } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import { isActiveState, type Lease } from '../domain/lease';
import { ForeignNodeError, LeaseEndedError, LeaseNotFoundError } from '../errors';
import { LEDGER_OPTIONS, type LedgerOptions } from '../ledger.options';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository } from '../repositories/lease.repository';
import { ReleaseLeaseUseCase } from './release-lease.use-case';

/** Pushes `expiresAt` out to now + ttl (the lease's own TTL when none is given). */
@Injectable()
export class RenewLeaseUseCase {
  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerOptions,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly release: ReleaseLeaseUseCase,
    private readonly clock: Clock,
  ) {}

  async renew(leaseId: string, ttlSeconds?: number): Promise<Lease> {
    const lease = await this.leases.findById(leaseId);
    if (!lease) throw new LeaseNotFoundError(leaseId);
    if (!isActiveState(lease.state)) throw new LeaseEndedError(leaseId, lease.state);
    if (lease.nodeId !== this.options.nodeId) throw new ForeignNodeError(leaseId, lease.nodeId, this.options.nodeId);
    const now = this.clock.now();
    const ttlS = ttlSeconds ?? lease.ttlS;
    const expiresAt = now + ttlS * 1000;
    const ok = await this.db.transaction(async (tx) => {
      const done = await this.leases.extendExpiry(tx, leaseId, expiresAt, ttlS, now);
      if (done) await this.events.append(tx, leaseId, 'renewed', now, { ttlSeconds: ttlS, expiresAt: new Date(expiresAt).toISOString() });
      return done;
    });
    if (!ok) throw new LeaseEndedError(leaseId, 'ended');
    this.release.armExpiry({ id: leaseId, expiresAt });
    return { ...lease, expiresAt, ttlS, updatedAt: now };
  }
}
