import { MediaGateway } from '@app/gateway';
import { LeaseRepository, type Lease } from '@app/ledger';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { leaseSsrc, leaseStreamId } from '../domain/lease-input';
import { LeaseNotFoundError } from '../errors';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
import { transitioned } from '../transitions/lease-transitions';

/**
 * Changes the SSRC an active lease expects (ZLMediaKit's updateRtpServerSSRC): the row and an
 * `ssrc-updated` event in one transaction, then the live session, so packets with the new SSRC
 * are accepted from now on without re-opening the listeners.
 */
@Injectable()
export class UpdateLeaseSsrcUseCase {
  private readonly logger = new Logger(UpdateLeaseSsrcUseCase.name);

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly writer: LeaseTransitionWriter,
    private readonly gateway: MediaGateway,
    private readonly clock: Clock,
  ) {}

  /** `ssrc`: 0..4294967295 as a number or a decimal string, or null to accept any SSRC. */
  async updateForStream(streamId: string, ssrc: string | number | null): Promise<Lease> {
    const wanted = ssrc === null ? null : leaseSsrc(ssrc);
    const lease = await this.leases.findActiveByStream(this.options.nodeId, leaseStreamId(streamId));
    if (!lease) throw new LeaseNotFoundError(`for stream ${streamId}`);
    if (lease.ssrc === wanted) return lease;
    const now = this.clock.now();
    const updated = { kind: 'ssrc-updated', ssrc: wanted } as const;
    if (!(await this.writer.apply(lease, updated, now))) throw new LeaseNotFoundError(`for stream ${streamId}`);
    this.gateway.updateSsrc(lease.id, wanted === null ? null : Number(wanted));
    this.logger.log(
      `lease ${lease.id} stream ${lease.streamId} port ${lease.rtpPort}: expected SSRC ${lease.ssrc ?? 'any'} → ${wanted ?? 'any'}`,
    );
    return transitioned(lease, updated, now);
  }
}
