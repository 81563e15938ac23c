import { LeaseEndingError, MediaGateway } from '@app/gateway';
import { Injectable } from '@nestjs/common';
import { LedgerDatabase } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import type { Lease } from '../domain/lease';
import { toBinding } from '../domain/lease-binding.mapper';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository } from '../repositories/lease.repository';
import { ListenTrouble } from './listen-trouble';
import { ReleaseLeaseUseCase } from './release-lease.use-case';

/**
 * Boot's re-open of one active lease whose sockets died with the last process (the resume
 * pass, and its retries): listen → mark `listening` with `resumed-after-restart` → arm its TTL.
 */
@Injectable()
export class LeaseReopener {
  constructor(
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly gateway: MediaGateway,
    private readonly release: ReleaseLeaseUseCase,
    private readonly trouble: ListenTrouble,
    private readonly clock: Clock,
  ) {}

  /** True once listening again; false when the lease ended meanwhile (nothing left open). Throws open()'s error. */
  async reopen(lease: Lease): Promise<boolean> {
    try {
      await this.gateway.open(toBinding(lease));
    } catch (err) {
      // its release began: the release routine owns it
      if (err instanceof LeaseEndingError) return false;
      throw err;
    }
    this.trouble.succeeded();
    const now = this.clock.now();
    const resumed = await this.db.transaction(async (tx) => {
      // reserved (crashed before listen) and streaming (the device's socket died with us) both resume as listening
      const ok = await this.leases.markActiveState(tx, lease.id, 'listening', now);
      if (ok) await this.events.append(tx, lease.id, 'resumed-after-restart', now, { previousState: lease.state });
      return ok;
    });
    if (!resumed) {
      // ended while we opened: no listener outlives it
      await this.gateway.close(lease.id);
      return false;
    }
    this.release.armExpiry(lease);
    return true;
  }
}
