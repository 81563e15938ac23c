import { MediaGateway } from '@app/gateway';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LedgerDatabase } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import type { Lease } from '../domain/lease';
import { LeaseNotFoundError } from '../errors';
import { LEDGER_OPTIONS, type LedgerOptions } from '../ledger.options';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository } from '../repositories/lease.repository';

/**
 * Changes the SSRC an active lease expects (ZLMediaKit's updateRtpServerSSRC): the row and an
 * `ssrc-updated` event in one transaction, then the live session, so packets with the new SSRC
 * are accepted from now on without re-opening the listeners.
 */
@Injectable()
export class UpdateLeaseSsrcUseCase {
  private readonly logger = new Logger(UpdateLeaseSsrcUseCase.name);

  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerOptions,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly gateway: MediaGateway,
    private readonly clock: Clock,
  ) {}

  /** `ssrc`: a 10-digit decimal string (the ledger's form), or null to accept any SSRC. */
  async updateForStream(streamId: string, ssrc: string | null): Promise<Lease> {
    const lease = await this.leases.findActiveByStream(this.options.nodeId, streamId);
    if (!lease) throw new LeaseNotFoundError(`for stream ${streamId}`);
    if (lease.ssrc === ssrc) return lease;
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await this.leases.setSsrc(tx, lease.id, ssrc, now);
      await this.events.append(tx, lease.id, 'ssrc-updated', now, { ssrc, previous: lease.ssrc });
    });
    this.gateway.updateSsrc(lease.id, ssrc === null ? null : Number(ssrc));
    this.logger.log(`lease ${lease.id} stream ${lease.streamId} port ${lease.rtpPort}: expected SSRC ${lease.ssrc ?? 'any'} → ${ssrc ?? 'any'}`);
    return { ...lease, ssrc, updatedAt: now };
  }
}
