import { MediaGateway } from '@app/gateway';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { LedgerDatabase } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import { END_CAUSES, isActiveState, type EndCause, type Lease } from '../domain/lease';
import { ForeignNodeError, LeaseNotFoundError, LedgerUnavailableError } from '../errors';
import { LEDGER_OPTIONS, type LedgerOptions } from '../ledger.options';
import { PortPool } from '../ports/port-pool.service';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository } from '../repositories/lease.repository';
import { ExpiryTimers } from './expiry-timers';
import { LedgerTelemetry } from '../telemetry/ledger-telemetry';
import { WebhookOutbox } from '../webhooks/webhook-outbox';

/**
 * The one release routine. Every way a lease ends — client DELETE, TTL, connect or idle
 * timeout, the reconciler, a failed bind — comes here:
 *   stop accepting → destroy the connections → await the listeners' close →
 *   one transaction writes terminal state, reason, final stats and the event →
 *   the pair returns to the free list.
 * Idempotent, and single-flight per lease: a second caller gets the first caller's result.
 * When the terminal write fails (the ledger is unreachable), the sockets are already closed:
 * the pair stays out of the free list and the write is retried with backoff until it lands;
 * the caller gets `ledger_unavailable`. A lease active on another node is refused
 * (`foreign_node`) without touching any socket here.
 */
@Injectable()
export class ReleaseLeaseUseCase implements OnApplicationShutdown {
  private readonly logger = new Logger(ReleaseLeaseUseCase.name);
  private readonly inFlight = new Map<string, Promise<Lease>>();
  /** leases whose sockets are closed but whose terminal row is not written yet */
  private readonly pendingEnds = new Map<string, PendingEnd>();

  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerOptions,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
    private readonly timers: ExpiryTimers,
    private readonly clock: Clock,
    private readonly webhooks: WebhookOutbox,
    private readonly telemetry: LedgerTelemetry,
  ) {}

  release(leaseId: string, cause: EndCause = END_CAUSES.clientRelease): Promise<Lease> {
    return this.singleFlight(leaseId, () => this.run(leaseId, cause));
  }

  /**
   * The same routine for a caller that already holds this node's row and cannot count on
   * reading it again: allocation, when the ledger goes away after listen().
   */
  releaseHeld(lease: Lease, cause: EndCause): Promise<Lease> {
    return this.singleFlight(lease.id, () => (this.pendingEnds.has(lease.id) ? this.writeEnd(this.pendingEnds.get(lease.id)!) : this.end(lease, cause)));
  }

  /** True while a lease's sockets are closed and its terminal write waits for the ledger. */
  isEnding(leaseId: string): boolean {
    return this.pendingEnds.has(leaseId);
  }

  private singleFlight(leaseId: string, fn: () => Promise<Lease>): Promise<Lease> {
    const pending = this.inFlight.get(leaseId);
    if (pending) return pending;
    const run = fn().finally(() => this.inFlight.delete(leaseId));
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
    const pending = this.pendingEnds.get(leaseId);
    if (pending) return this.writeEnd(pending);
    let lease: Lease | null;
    try {
      lease = await this.leases.findById(leaseId);
    } catch (err) {
      // The ledger cannot be read. A lease this node's gateway holds is this node's and active:
      // its sockets end now; the row is read and written when the ledger is back.
      if (!this.gateway.has(leaseId)) throw new LedgerUnavailableError(err);
      this.timers.cancel(leaseId);
      const finalStats = await this.gateway.close(leaseId);
      this.retryLater({ leaseId, lease: null, cause, at: this.clock.now(), finalStats, attempts: 0, timer: null }, err);
      throw new LedgerUnavailableError(err);
    }
    if (!lease) throw new LeaseNotFoundError(leaseId);
    if (!isActiveState(lease.state)) return lease;
    if (lease.nodeId !== this.options.nodeId) throw new ForeignNodeError(leaseId, lease.nodeId, this.options.nodeId);
    return this.end(lease, cause);
  }

  /** stop accepting → destroy the connections → await the listeners' close → the terminal write. */
  private async end(lease: Lease, cause: EndCause): Promise<Lease> {
    this.timers.cancel(lease.id);
    const finalStats = await this.gateway.close(lease.id);
    return this.writeEnd({ leaseId: lease.id, lease, cause, at: this.clock.now(), finalStats, attempts: 0, timer: null });
  }

  private async writeEnd(p: PendingEnd): Promise<Lease> {
    if (!p.lease) {
      try {
        p.lease = await this.leases.findById(p.leaseId);
      } catch (err) {
        this.retryLater(p, err);
        throw new LedgerUnavailableError(err);
      }
      if (!p.lease) {
        this.pendingEnds.delete(p.leaseId);
        throw new LeaseNotFoundError(p.leaseId);
      }
    }
    const { lease, cause, at, finalStats } = p;
    let ended: boolean;
    try {
      ended = await this.db.transaction(async (tx) => {
        const ok = await this.leases.markEnded(tx, lease.id, cause, at, finalStats);
        if (ok) await this.events.append(tx, lease.id, cause.state, at, { reason: cause.reason, ...cause.detail });
        if (ok) await this.webhooks.lease(tx, 'lease.ended', { ...lease, state: cause.state, releaseReason: cause.reason, releasedAt: at, updatedAt: at, finalStats });
        return ok;
      });
    } catch (err) {
      this.retryLater(p, err);
      throw new LedgerUnavailableError(err);
    }
    if (p.timer) clearTimeout(p.timer);
    this.pendingEnds.delete(lease.id);
    if (!ended) return (await this.leases.findById(lease.id).catch(() => null)) ?? lease;
    this.pool.pairs.giveBack(lease.rtpPort);
    this.telemetry.ended(cause.state, cause.reason, finalStats);
    const late = p.attempts > 0 ? ` after ${p.attempts} failed writes` : '';
    this.logger.log(`lease ${lease.id} stream ${lease.streamId} port ${lease.rtpPort}: ${cause.state} (${cause.reason})${late}`);
    return { ...lease, state: cause.state, releaseReason: cause.reason, releasedAt: at, updatedAt: at, finalStats };
  }

  /** The sockets are closed, the row is still active: keep the pair out of the free list and write again soon. */
  private retryLater(p: PendingEnd, err: unknown): void {
    p.attempts++;
    this.pendingEnds.set(p.leaseId, p);
    if (p.timer) clearTimeout(p.timer);
    // Well under two reconcile passes, so the reconciler never re-opens a lease that is ending.
    const delay = Math.min(250 * 2 ** (p.attempts - 1), 4000);
    this.logger.warn(
      `lease ${p.leaseId} stream ${p.lease?.streamId ?? '?'} port ${p.lease?.rtpPort ?? '?'}: sockets closed but the ${p.cause.state} write failed ` +
        `(attempt ${p.attempts}: ${err instanceof Error ? err.message : String(err)}); pair kept out of the free list, retrying in ${delay} ms`,
    );
    p.timer = setTimeout(() => {
      p.timer = null;
      this.release(p.leaseId).catch(() => undefined);
    }, delay);
    p.timer.unref();
  }

  onApplicationShutdown(): void {
    // A row still active here is resumed (or expired) by the next boot pass.
    for (const p of this.pendingEnds.values()) if (p.timer) clearTimeout(p.timer);
  }
}

interface PendingEnd {
  leaseId: string;
  /** null while the row could not be read yet */
  lease: Lease | null;
  cause: EndCause;
  /** when the sockets were closed: the terminal time written, however late the write lands */
  at: number;
  finalStats: Record<string, unknown> | null;
  attempts: number;
  timer: NodeJS.Timeout | null;
}
