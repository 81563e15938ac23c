import type { LeaseBinding } from '@app/gateway';
import type { Lease } from '@app/ledger';

export function toBinding(lease: Lease): LeaseBinding {
  return {
    leaseId: lease.id,
    streamId: lease.streamId,
    rtpPort: lease.rtpPort,
    rtcpPort: lease.rtcpPort,
    ssrc: lease.ssrc === null ? null : Number(lease.ssrc),
    transport: lease.transport,
    peerAddress: lease.peerAddress,
    peerPort: lease.peerPort,
    connectTimeoutS: lease.connectTimeoutS,
    idleTimeoutS: lease.idleTimeoutS,
    recordPath: lease.recordPath,
    forward: lease.forward,
    forwardSsrc: lease.forwardSsrc === null ? null : Number(lease.forwardSsrc),
  };
}
