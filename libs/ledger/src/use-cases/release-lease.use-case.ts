import { MediaGateway } from '@app/gateway';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LedgerDatabase } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import { END_CAUSES, isActiveState, type EndCause, type Lease } from '../domain/lease';
import { LeaseNotFoundError } from '../errors';
import { LEDGER_OPTIONS, type LedgerOptions } from '../ledger.options';
import { PortPool } from '../ports/port-pool.service';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository } from '../repositories/lease.repository';
import { ExpiryTimers } from './expiry-timers';

/**
 * The one release routine. Every way a lease ends — client DELETE, TTL, connect or idle
 * timeout, the reconciler, a failed bind — comes here:
 *   stop accepting → destroy the connections → await the listeners' close →
 *   one transaction writes terminal state, reason, final stats and the event →
 *   the pair returns to the free list.
 * Idempotent, and single-flight per lease: a second caller gets the first caller's result.
 */
@Injectable()
export class ReleaseLeaseUseCase {
  private readonly logger = new Logger(ReleaseLeaseUseCase.name);
  private readonly inFlight = new Map<string, Promise<Lease>>();

  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerOptions,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
    private readonly timers: ExpiryTimers,
    private readonly clock: Clock,
  ) {}

  release(leaseId: string, cause: EndCause = END_CAUSES.clientRelease): Promise<Lease> {
    const pending = this.inFlight.get(leaseId);
    if (pending) return pending;
    const run = this.run(leaseId, cause).finally(() => this.inFlight.delete(leaseId));
    this.inFlight.set(leaseId, run);
    return run;
  }

  /** DELETE ?streamId=: releases the stream's active lease, or returns its last one if it already ended. */
  async releaseStream(streamId: string): Promise<Lease> {
    const active = await this.leases.findActiveByStream(this.options.nodeId, streamId);
    if (active) return this.release(active.id);
    const last = await this.leases.history({ streamId, nodeId: this.options.nodeId, limit: 1 });
    if (last.items[0]) return last.items[0];
    throw new LeaseNotFoundError(`for stream ${streamId}`);
  }

  /** Arms the lease's TTL timer; when it fires the lease ends `expired`/`ttl` through release(). */
  armExpiry(lease: Pick<Lease, 'id' | 'expiresAt'>): void {
    this.timers.schedule(lease.id, lease.expiresAt, this.clock.now(), () => {
      this.release(lease.id, END_CAUSES.ttl).catch((err) => this.logger.error(`lease ${lease.id}: TTL release failed: ${err}`));
    });
  }

  private async run(leaseId: string, cause: EndCause): Promise<Lease> {
    const lease = await this.leases.findById(leaseId);
    if (!lease) throw new LeaseNotFoundError(leaseId);
    if (!isActiveState(lease.state) || lease.nodeId !== this.options.nodeId) return lease;

    this.timers.cancel(leaseId);
    const finalStats = await this.gateway.close(leaseId);
    const now = this.clock.now();
    const ended = await this.db.transaction(async (tx) => {
      const ok = await this.leases.markEnded(tx, leaseId, cause, now, finalStats);
      if (ok) await this.events.append(tx, leaseId, cause.state, now, { reason: cause.reason, ...cause.detail });
      return ok;
    });
    if (!ended) return (await this.leases.findById(leaseId)) ?? lease;
    this.pool.pairs.giveBack(lease.rtpPort);
    this.logger.log(`lease ${leaseId} stream ${lease.streamId} port ${lease.rtpPort}: ${cause.state} (${cause.reason})`);
    return { ...lease, state: cause.state, releaseReason: cause.reason, releasedAt: now, updatedAt: now, finalStats };
  }
}
