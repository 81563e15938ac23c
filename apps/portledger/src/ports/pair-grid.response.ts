import type { PairCell, PairGrid } from '@app/leasing';
import { ApiProperty } from '@nestjs/swagger';
import { LeaseResponse, toLeaseResponse } from '../leases/lease.response';
import { QuarantineEntryResponse, toQuarantineEntryResponse } from './port-usage.response';

class PairTotalsResponse {
  @ApiProperty() pairs: number;
  @ApiProperty() free: number;
  @ApiProperty({ description: 'pairs held by an active lease (reserved, listening, streaming)' }) leased: number;
  @ApiProperty() quarantined: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, description: 'pairs per state' })
  byState: Record<string, number>;
}

class PairCellResponse {
  @ApiProperty() rtpPort: number;
  @ApiProperty() rtcpPort: number;
  @ApiProperty({ description: 'free, quarantined, or the lease state (reserved, listening, streaming)' }) state: string;
  @ApiProperty({ type: LeaseResponse, nullable: true }) lease: LeaseResponse | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description:
      "the lease's live stats named by `stats` (default peer, connected, bitrateKbps, packets, lost, codec, forward); null for another node",
  })
  live: Record<string, unknown> | null;
  @ApiProperty({ type: QuarantineEntryResponse, nullable: true }) quarantine: QuarantineEntryResponse | null;
}

class GridRangeResponse {
  @ApiProperty() start: number;
  @ApiProperty() end: number;
}

export class PairGridResponse {
  @ApiProperty() nodeId: string;
  @ApiProperty({ type: GridRangeResponse }) range: GridRangeResponse;
  @ApiProperty({ type: PairTotalsResponse }) totals: PairTotalsResponse;
  @ApiProperty({ type: [PairCellResponse], description: 'every pair of the range, in port order' }) pairs: PairCellResponse[];
  @ApiProperty({ type: [String] }) warnings: string[];
}

function toPairCellResponse(c: PairCell): PairCellResponse {
  return {
    rtpPort: c.rtpPort,
    rtcpPort: c.rtcpPort,
    state: c.state,
    lease: c.lease && toLeaseResponse(c.lease),
    live: c.live,
    quarantine: c.quarantine && toQuarantineEntryResponse(c.quarantine),
  };
}

export function toPairGridResponse(g: PairGrid): PairGridResponse {
  return { nodeId: g.nodeId, range: g.range, totals: g.totals, pairs: g.pairs.map(toPairCellResponse), warnings: g.warnings };
}
