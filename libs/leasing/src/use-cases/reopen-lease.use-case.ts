import { isHostListenError, LeaseEndingError, MediaGateway } from '@app/gateway';
import { isActiveState, LeaseRepository } from '@app/ledger';
import { Injectable, Logger } from '@nestjs/common';
import { endCause } from '../domain/end-causes';
import { toBinding } from '../domain/lease-binding.mapper';
import { bindFailureOf, type BindFailure } from './end-failed-bind.use-case';
import { QuarantinePairUseCase } from './quarantine-pair.use-case';
import { ReleaseLeaseUseCase } from './release-lease.use-case';
import { ResumeRetries } from './resume-retries';

export type ReopenResult =
  | { outcome: 're-opened' }
  /** the lease ended between the reconciler's read and this call (or during the re-open) */
  | { outcome: 'ended-meanwhile' }
  /** the gateway's listener is open again (and the OS view did not say otherwise) */
  | { outcome: 'listening-again' }
  /** its release began after the read: the release routine owns its sockets */
  | { outcome: 'ending' }
  /** it waits in ResumeRetries after a listen() error not about its pair */
  | { outcome: 'waiting' }
  /** listen() failed for a reason not about the pair (bind address, descriptors): kept active, retried with backoff */
  | { outcome: 'host-listen-error'; failure: BindFailure }
  /** listen() failed; `ended`: the pair was quarantined and the lease ended `reclaimed`/`listener-lost` */
  | { outcome: 'bind-failed'; failure: BindFailure; ended: boolean };

export interface ReopenOptions {
  /** the OS showed the listener missing: re-open even though the gateway thinks it listens */
  osSaysMissing: boolean;
  /** on a bind failure, quarantine the pair and end the lease; false: leave both for a later pass */
  endOnBindFailure: boolean;
}

/**
 * A lease whose listener was lost: close what is left of its sockets and listen again; the
 * row is untouched. When its port can no longer be bound, the pair is quarantined and the
 * lease ends `reclaimed`/`listener-lost` through the release routine.
 */
@Injectable()
export class ReopenLeaseUseCase {
  private readonly logger = new Logger(ReopenLeaseUseCase.name);

  constructor(
    private readonly leases: LeaseRepository,
    private readonly gateway: MediaGateway,
    private readonly quarantine: QuarantinePairUseCase,
    private readonly release: ReleaseLeaseUseCase,
    private readonly retries: ResumeRetries,
  ) {}

  async reopen(leaseId: string, o: ReopenOptions): Promise<ReopenResult> {
    if (this.retries.has(leaseId)) return { outcome: 'waiting' };
    const lease = await this.leases.findById(leaseId);
    if (!lease || !isActiveState(lease.state)) return { outcome: 'ended-meanwhile' };
    if (!o.osSaysMissing && this.gateway.isListening(leaseId)) return { outcome: 'listening-again' };
    await this.gateway.close(leaseId);
    try {
      await this.gateway.open(toBinding(lease));
    } catch (err) {
      if (err instanceof LeaseEndingError) return { outcome: 'ending' };
      if (isHostListenError(err)) {
        // the bind address or the descriptors, not the pair: keep the lease, retry with backoff
        this.retries.add(lease, err);
        return { outcome: 'host-listen-error', failure: { port: err.port, code: err.code } };
      }
      const failure = bindFailureOf(err, lease.rtpPort);
      if (!o.endOnBindFailure) return { outcome: 'bind-failed', failure, ended: false };
      await this.quarantine.quarantine(failure.port, `bind-failed at re-open: ${failure.code}`);
      await this.release.release(leaseId, endCause('listenerLost', { ...failure }));
      return { outcome: 'bind-failed', failure, ended: true };
    }
    // Ended while we re-opened: the release routine may have closed before our open.
    const after = await this.leases.findById(leaseId);
    if (!after || !isActiveState(after.state)) {
      await this.gateway.close(leaseId);
      return { outcome: 'ended-meanwhile' };
    }
    this.logger.warn(`lease ${leaseId} stream ${lease.streamId} port ${lease.rtpPort}: lost listener re-opened`);
    return { outcome: 're-opened' };
  }
}
