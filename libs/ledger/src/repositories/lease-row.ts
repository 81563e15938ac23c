import type { Lease, LeaseState, Transport } from '../records/lease';

/** Column list for raw reads of `leases`, in one place. */
export const LEASE_COLUMNS =
  'id, node_id, stream_id, host, rtp_port, rtcp_port, transport, state, ssrc, peer_address, peer_port, client, record, record_path, ' +
  'ttl_s, connect_timeout_s, idle_timeout_s, created_at, updated_at, expires_at, released_at, release_reason, final_stats, ' +
  'forward, forward_ssrc';

export interface LeaseRow {
  id: string;
  node_id: string;
  stream_id: string;
  host: string;
  rtp_port: number;
  rtcp_port: number;
  transport: string;
  state: string;
  ssrc: string | null;
  peer_address: string | null;
  peer_port: number | string | null;
  client: string | null;
  record: boolean | number;
  record_path: string | null;
  ttl_s: number;
  connect_timeout_s: number;
  idle_timeout_s: number;
  created_at: number | string;
  updated_at: number | string;
  expires_at: number | string;
  released_at: number | string | null;
  release_reason: string | null;
  final_stats: string | null;
  forward: string | null;
  forward_ssrc: string | null;
}

const ms = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** Raw row → Lease. PostgreSQL returns bigint as text and booleans as booleans; SQLite 0/1. */
export function leaseFromRow(r: LeaseRow): Lease {
  return {
    id: r.id,
    nodeId: r.node_id,
    streamId: r.stream_id,
    host: r.host,
    rtpPort: Number(r.rtp_port),
    rtcpPort: Number(r.rtcp_port),
    transport: r.transport as Transport,
    state: r.state as LeaseState,
    ssrc: r.ssrc,
    peerAddress: r.peer_address,
    peerPort: r.peer_port === null ? null : Number(r.peer_port),
    client: r.client,
    record: Boolean(r.record),
    recordPath: r.record_path,
    forward: r.forward ?? null,
    forwardSsrc: r.forward_ssrc ?? null,
    ttlS: Number(r.ttl_s),
    connectTimeoutS: Number(r.connect_timeout_s),
    idleTimeoutS: Number(r.idle_timeout_s),
    createdAt: ms(r.created_at) as number,
    updatedAt: ms(r.updated_at) as number,
    expiresAt: ms(r.expires_at) as number,
    releasedAt: ms(r.released_at),
    releaseReason: r.release_reason,
    finalStats: r.final_stats === null ? null : (JSON.parse(r.final_stats) as Lease['finalStats']),
  };
}

/** Lease → the INSERT's parameter list, in LEASE_COLUMNS order. */
export function leaseToParams(l: Lease): unknown[] {
  return [
    l.id,
    l.nodeId,
    l.streamId,
    l.host,
    l.rtpPort,
    l.rtcpPort,
    l.transport,
    l.state,
    l.ssrc,
    l.peerAddress,
    l.peerPort,
    l.client,
    l.record,
    l.recordPath,
    l.ttlS,
    l.connectTimeoutS,
    l.idleTimeoutS,
    l.createdAt,
    l.updatedAt,
    l.expiresAt,
    l.releasedAt,
    l.releaseReason,
    l.finalStats === null ? null : JSON.stringify(l.finalStats),
    l.forward,
    l.forwardSsrc,
  ];
}
