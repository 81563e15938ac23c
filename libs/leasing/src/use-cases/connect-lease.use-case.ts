import { MediaGateway } from '@app/gateway';
import { isActiveState, LeaseRepository, type Lease } from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { leasePeerAddress, leasePeerPort, leaseStreamId } from '../domain/lease-input';
import { ForeignNodeError, InvalidLeaseInputError, LeaseEndedError, LeaseNotFoundError, WrongTransportError } from '../errors';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
import { transitioned } from '../transitions/lease-transitions';

/**
 * TCP-ACTIVE: the device (GB28181 `a=setup:passive` in its SDP answer) listens at
 * address:port, and the service connects to it from MEDIA_BIND_HOST:rtpPort. The device's
 * address and port go into the row with a `connect-requested` event in one transaction (so a
 * lease resumed after a restart dials again), then the gateway dials — retrying at least 1 s
 * apart until the connect timeout, counted from this call.
 */
@Injectable()
export class ConnectLeaseUseCase {
  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly writer: LeaseTransitionWriter,
    private readonly gateway: MediaGateway,
    private readonly clock: Clock,
  ) {}

  /** The stream's active lease (ZLMediaKit's connectRtpServer); `lease_not_found` when it has none. */
  async connectStream(streamId: string, address: string, port: number): Promise<Lease> {
    const lease = await this.leases.findActiveByStream(this.options.nodeId, leaseStreamId(streamId));
    if (!lease) throw new LeaseNotFoundError(`for stream ${streamId}`);
    return this.connect(lease.id, address, port);
  }

  async connect(leaseId: string, address: string, port: number): Promise<Lease> {
    const peerAddress = leaseAddress(address);
    const peerPort = leasePeerPort(port, 'port');
    const lease = await this.leases.findById(leaseId);
    if (!lease) throw new LeaseNotFoundError(leaseId);
    if (!isActiveState(lease.state)) throw new LeaseEndedError(leaseId, lease.state);
    if (lease.nodeId !== this.options.nodeId) throw new ForeignNodeError(leaseId, lease.nodeId, this.options.nodeId);
    if (lease.transport !== 'tcp-active') throw new WrongTransportError(leaseId, lease.transport, 'tcp-active');
    const now = this.clock.now();
    const set = { kind: 'peer-set', peerAddress, peerPort } as const;
    if (!(await this.writer.apply(lease, set, now))) throw new LeaseEndedError(leaseId, 'ended');
    // 'not-open': its release began meanwhile (the release routine owns the sockets), or it
    // waits to be re-opened after a restart — the re-open dials the address just written.
    if (this.gateway.connect(leaseId, peerAddress, peerPort) === 'not-open' && this.gateway.isEnding(leaseId)) {
      throw new LeaseEndedError(leaseId, 'ending');
    }
    return transitioned(lease, set, now);
  }
}

/** The device's address: an IP address (the SDP's c= line), in the ledger's one spelling. */
function leaseAddress(address: string): string {
  try {
    return leasePeerAddress(address);
  } catch {
    throw new InvalidLeaseInputError('address', 'an IPv4 or IPv6 address');
  }
}
