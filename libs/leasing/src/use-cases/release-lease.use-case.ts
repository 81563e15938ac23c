import { MediaGateway } from '@app/gateway';
import { isActiveState, LeaseRepository, type Lease } from '@app/ledger';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { END_CAUSES, type EndCause } from '../domain/end-causes';
import { leaseStreamId } from '../domain/lease-input';
import { ForeignNodeError, LeaseNotFoundError, LedgerUnavailableError } from '../errors';
import { ExpiryTimers } from '../expiry/expiry-timers';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { PortPool } from '../ports/port-pool.service';
import { LedgerTelemetry } from '../telemetry/ledger-telemetry';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
import { transitioned } from '../transitions/lease-transitions';
import { PendingEnds, type PendingEnd } from './pending-ends';

/**
 * The one release routine. Every way a lease ends (END_CAUSES) comes here:
 *   stop accepting → destroy the connections → await the listeners' close →
 *   one transaction writes terminal state, reason, final stats, the event and the webhook →
 *   the pair returns to the free list.
 * Idempotent, and single-flight per lease: a second caller gets the first caller's result.
 * From the close on, the gateway refuses to open the lease, so an allocation, a resume or a
 * reconciler re-open racing the release never leaves a listener behind.
 * When the terminal write fails (the ledger is unreachable), the sockets are already closed:
 * the pair stays out of the free list and PendingEnds retries the write until it lands; the
 * caller gets `ledger_unavailable`. A lease active on another node is refused (`foreign_node`)
 * without touching any socket here.
 */
@Injectable()
export class ReleaseLeaseUseCase {
  private readonly logger = new Logger(ReleaseLeaseUseCase.name);
  private readonly inFlight = new Map<string, Promise<Lease>>();

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly writer: LeaseTransitionWriter,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
    private readonly timers: ExpiryTimers,
    private readonly pendingEnds: PendingEnds,
    private readonly clock: Clock,
    private readonly telemetry: LedgerTelemetry,
  ) {}

  /**
   * `writesBefore`: earlier writes of this lease that the terminal write must follow (the
   * gateway-event recorder's queue), so the lease's events stay in order; the sockets close at
   * once regardless.
   */
  release(leaseId: string, cause: EndCause = END_CAUSES.clientRelease, writesBefore?: Promise<unknown>): Promise<Lease> {
    return this.singleFlight(leaseId, () => this.run(leaseId, cause, writesBefore));
  }

  /**
   * The same routine for a caller that already holds this node's row and cannot count on
   * reading it again: allocation, when the ledger goes away after listen().
   */
  releaseHeld(lease: Lease, cause: EndCause): Promise<Lease> {
    return this.singleFlight(lease.id, () => {
      const pending = this.pendingEnds.get(lease.id);
      return pending ? this.writeEnd(pending) : this.end(lease, cause);
    });
  }

  /** `DELETE /leases?streamId=`: releases the stream's active lease, or returns its last one if it already ended. */
  async releaseStream(streamId: string): Promise<Lease> {
    const id = leaseStreamId(streamId);
    const released = await this.releaseActiveStream(id);
    if (released) return released;
    const last = await this.leases.history({ streamId: id, nodeId: this.options.nodeId, limit: 1 });
    if (last.items[0]) return last.items[0];
    throw new LeaseNotFoundError(`for stream ${id}`);
  }

  /** Releases the stream's active lease on this node; null when it has none. */
  async releaseActiveStream(streamId: string): Promise<Lease | null> {
    const active = await this.leases.findActiveByStream(this.options.nodeId, leaseStreamId(streamId));
    return active ? this.release(active.id) : null;
  }

  /** True while a lease's sockets are closed and its terminal write waits for the ledger. */
  isEnding(leaseId: string): boolean {
    return this.pendingEnds.has(leaseId);
  }

  private singleFlight(leaseId: string, fn: () => Promise<Lease>): Promise<Lease> {
    const pending = this.inFlight.get(leaseId);
    if (pending) return pending;
    const run = fn().finally(() => {
      this.inFlight.delete(leaseId);
      // Until the terminal write lands the gateway refuses to open the lease (an opener that
      // read the row as active must not listen after our close); then it only remembers it.
      if (!this.pendingEnds.has(leaseId)) this.gateway.ended(leaseId);
    });
    this.inFlight.set(leaseId, run);
    return run;
  }

  private async run(leaseId: string, cause: EndCause, writesBefore?: Promise<unknown>): Promise<Lease> {
    const pending = this.pendingEnds.get(leaseId);
    if (pending) return this.writeEnd(pending);
    // A lease this node's gateway holds is this node's: its sockets end now, not once the
    // ledger answers the read (a black-holed database answers only after its statement timeout).
    const closing = this.gateway.has(leaseId) ? this.closeSockets(leaseId) : null;
    let lease: Lease | null;
    try {
      lease = await this.leases.findById(leaseId);
    } catch (err) {
      // The ledger cannot be read: the row is read and written when the ledger is back.
      if (!closing) throw new LedgerUnavailableError(err);
      const finalStats = await closing;
      this.retryLater({ leaseId, lease: null, cause, at: this.clock.now(), finalStats, attempts: 0, timer: null }, err);
      throw new LedgerUnavailableError(err);
    }
    if (!lease) throw new LeaseNotFoundError(leaseId);
    if (!isActiveState(lease.state)) return lease;
    if (lease.nodeId !== this.options.nodeId) throw new ForeignNodeError(leaseId, lease.nodeId, this.options.nodeId);
    return this.end(lease, cause, closing, writesBefore);
  }

  /** From here on the gateway refuses to open this lease, until ended() (see singleFlight). */
  private closeSockets(leaseId: string): ReturnType<MediaGateway['closeForEnd']> {
    this.timers.cancel(leaseId);
    return this.gateway.closeForEnd(leaseId);
  }

  /** stop accepting → destroy the connections → await the listeners' close → the terminal write. */
  private async end(
    lease: Lease,
    cause: EndCause,
    closing: ReturnType<MediaGateway['closeForEnd']> | null = null,
    writesBefore?: Promise<unknown>,
  ): Promise<Lease> {
    const finalStats = await (closing ?? this.closeSockets(lease.id));
    await writesBefore;
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
        this.pendingEnds.settle(p.leaseId);
        throw new LeaseNotFoundError(p.leaseId);
      }
    }
    const { lease, cause, at, finalStats } = p;
    const ended = { kind: 'ended', cause, finalStats } as const;
    let written: boolean;
    try {
      written = await this.writer.apply(lease, ended, at);
    } catch (err) {
      this.retryLater(p, err);
      throw new LedgerUnavailableError(err);
    }
    this.pendingEnds.settle(lease.id);
    if (!written) return (await this.leases.findById(lease.id).catch(() => null)) ?? lease;
    this.pool.pairs.giveBack(lease.rtpPort);
    this.telemetry.ended(cause.state, cause.reason, finalStats);
    const late = p.attempts > 0 ? ` after ${p.attempts} failed writes` : '';
    this.logger.log(`lease ${lease.id} stream ${lease.streamId} port ${lease.rtpPort}: ${cause.state} (${cause.reason})${late}`);
    return transitioned(lease, ended, at);
  }

  private retryLater(p: PendingEnd, err: unknown): void {
    this.pendingEnds.retryLater(p, err, () => void this.release(p.leaseId).catch(() => undefined));
  }
}
