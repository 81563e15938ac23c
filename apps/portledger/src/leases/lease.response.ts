import { leaseMediaStream, TRANSPORTS, type Lease, type LeaseDetail, type LeaseEvent, type Transport } from '@app/leasing';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class LeaseResponse {
  @ApiProperty() id: string;
  @ApiProperty() streamId: string;
  @ApiProperty() nodeId: string;
  @ApiProperty({ description: 'MEDIA_ADVERTISED_HOST: where the device connects' }) host: string;
  @ApiProperty() rtpPort: number;
  @ApiProperty() rtcpPort: number;
  @ApiProperty({
    enum: TRANSPORTS,
    description:
      'tcp-passive: the device connects to host:rtpPort; udp: the device sends to host:rtpPort; tcp-active: the service connects to the device (POST /leases/:id/connect)',
  })
  transport: Transport;
  @ApiProperty({ enum: ['reserved', 'listening', 'streaming', 'released', 'expired', 'reclaimed', 'failed'] }) state: string;
  @ApiProperty({ nullable: true, type: String }) ssrc: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'tcp-passive/udp: the only address allowed; tcp-active: the device address dialled',
  })
  peerAddress: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'tcp-active: the device port dialled; null otherwise' }) peerPort:
    number | null;
  @ApiProperty({ nullable: true, type: String }) client: string | null;
  @ApiProperty() record: boolean;
  @ApiProperty({ nullable: true, type: String }) recordPath: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'tcp://HOST:PORT or udp://HOST:PORT the stream is forwarded to' })
  forward: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'SSRC written into forwarded packets (null: the lease ssrc, else the device one)',
  })
  forwardSsrc: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'rtp/<8 hex digits of the forwarded SSRC>, the name ZLMediaKit gives the stream; null until known',
  })
  mediaStream: string | null;
  @ApiProperty() ttlSeconds: number;
  @ApiProperty() connectTimeoutSeconds: number;
  @ApiProperty() idleTimeoutSeconds: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty({ nullable: true, type: String }) releasedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) releaseReason: string | null;
}

export class LeaseEventResponse {
  @ApiProperty() type: string;
  @ApiProperty() at: string;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) detail: Record<string, unknown> | null;
}

export class LeaseDetailResponse extends LeaseResponse {
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description:
      'live while the lease lives; final after it ends. Counts every connection (connections, noMediaConnections, unreportedConnections, rejectedConnections, streamErrors) even where the events stop at their per-lease caps',
  })
  stats: Record<string, unknown> | null;
  @ApiProperty({ type: [LeaseEventResponse], description: 'the last events, oldest first' })
  events: LeaseEventResponse[];
}

export class LeasePageResponse {
  @ApiProperty({ type: [LeaseResponse] }) items: LeaseResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class LeaseEventsResponse {
  @ApiProperty({ type: [LeaseEventResponse], description: 'oldest first' }) items: LeaseEventResponse[];
  @ApiProperty({ nullable: true, type: String, description: 'pass as ?cursor= for the next page; null on the last page' }) nextCursor:
    string | null;
}

export function toLeaseResponse(l: Lease): LeaseResponse {
  return {
    id: l.id,
    streamId: l.streamId,
    nodeId: l.nodeId,
    host: l.host,
    rtpPort: l.rtpPort,
    rtcpPort: l.rtcpPort,
    transport: l.transport,
    state: l.state,
    ssrc: l.ssrc,
    peerAddress: l.peerAddress,
    peerPort: l.peerPort,
    client: l.client,
    record: l.record,
    recordPath: l.recordPath,
    forward: l.forward,
    forwardSsrc: l.forwardSsrc,
    mediaStream: leaseMediaStream(l),
    ttlSeconds: l.ttlS,
    connectTimeoutSeconds: l.connectTimeoutS,
    idleTimeoutSeconds: l.idleTimeoutS,
    createdAt: iso(l.createdAt) as string,
    updatedAt: iso(l.updatedAt) as string,
    expiresAt: iso(l.expiresAt) as string,
    releasedAt: iso(l.releasedAt),
    releaseReason: l.releaseReason,
  };
}

export function toEventResponse(e: LeaseEvent): LeaseEventResponse {
  return { type: e.type, at: iso(e.at) as string, detail: e.detail };
}

export function toLeaseDetailResponse(d: LeaseDetail): LeaseDetailResponse {
  return { ...toLeaseResponse(d.lease), stats: d.stats, events: d.events.map(toEventResponse) };
}
