import type { PortUsage, QuarantineEntry } from '@app/leasing';
import { ApiProperty } from '@nestjs/swagger';

class PortOwnerResponse {
  @ApiProperty({ nullable: true, type: Number }) pid: number | null;
  @ApiProperty({ nullable: true, type: String }) command: string | null;
  @ApiProperty({ nullable: true, type: Number }) uid: number | null;
}

export class QuarantineEntryResponse {
  @ApiProperty() port: number;
  @ApiProperty() rtpPort: number;
  @ApiProperty() rtcpPort: number;
  @ApiProperty() reason: string;
  @ApiProperty({ type: PortOwnerResponse }) owner: PortOwnerResponse;
  @ApiProperty() since: string;
}

class RangeResponse {
  @ApiProperty() start: number;
  @ApiProperty() end: number;
}

export class PortUsageResponse {
  @ApiProperty() nodeId: string;
  @ApiProperty({ type: RangeResponse }) range: RangeResponse;
  @ApiProperty() pairs: number;
  @ApiProperty() leased: number;
  @ApiProperty() quarantined: number;
  @ApiProperty() free: number;
  @ApiProperty({ type: [QuarantineEntryResponse] }) quarantine: QuarantineEntryResponse[];
  @ApiProperty({ type: [String] }) warnings: string[];
}

export function toPortUsageResponse(u: PortUsage): PortUsageResponse {
  return {
    nodeId: u.nodeId,
    range: u.range,
    pairs: u.pairs,
    leased: u.leased,
    quarantined: u.quarantined,
    free: u.free,
    quarantine: u.quarantine.map(toQuarantineEntryResponse),
    warnings: u.warnings,
  };
}

export function toQuarantineEntryResponse(q: QuarantineEntry): QuarantineEntryResponse {
  return {
    port: q.port,
    rtpPort: q.rtpPort,
    rtcpPort: q.rtcpPort,
    reason: q.reason,
    owner: q.owner,
    since: new Date(q.since).toISOString(),
  };
}
