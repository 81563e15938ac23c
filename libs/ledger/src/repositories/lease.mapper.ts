import type { Lease, LeaseState } from '../domain/lease';
import type { LeaseEntity } from '../entities';

export function toLease(e: LeaseEntity): Lease {
  return {
    id: e.id,
    nodeId: e.nodeId,
    streamId: e.streamId,
    host: e.host,
    rtpPort: e.rtpPort,
    rtcpPort: e.rtcpPort,
    transport: 'tcp-passive',
    state: e.state as LeaseState,
    ssrc: e.ssrc,
    peerAddress: e.peerAddress,
    client: e.client,
    record: Boolean(e.record),
    recordPath: e.recordPath,
    ttlS: e.ttlS,
    connectTimeoutS: e.connectTimeoutS,
    idleTimeoutS: e.idleTimeoutS,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    expiresAt: e.expiresAt,
    releasedAt: e.releasedAt,
    releaseReason: e.releaseReason,
    finalStats: e.finalStats,
  };
}
