import { FINDING_KINDS, type ReconcileFinding, type ReconcileReport, type ReconcileSummary } from '@app/reconciler';
import { ApiProperty } from '@nestjs/swagger';

const iso = (ms: number) => new Date(ms).toISOString();

export class ReconcileFindingResponse {
  @ApiProperty({ enum: FINDING_KINDS }) kind: string;
  @ApiProperty({ nullable: true, type: Number }) port: number | null;
  @ApiProperty({ nullable: true, type: String }) leaseId: string | null;
  @ApiProperty({
    description:
      'closed, re-opened, ended, expired, quarantined, cleared, destroyed; pending (racy: waits for the next pass), deferred (OS view not trusted), reported, skipped, failed',
  })
  action: string;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) detail: Record<string, unknown> | null;
}

export class ReconcileReportResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() nodeId: string;
  @ApiProperty() startedAt: string;
  @ApiProperty() durationMs: number;
  @ApiProperty({ description: 'ports of the range compared' }) checkedPorts: number;
  @ApiProperty({ description: 'true when the OS view failed or looked inconsistent and reclaims were put off' }) deferred: boolean;
  @ApiProperty({ nullable: true, type: String }) osReadError: string | null;
  @ApiProperty({ type: [ReconcileFindingResponse] }) findings: ReconcileFindingResponse[];
}

export class ReconcileReportPageResponse {
  @ApiProperty({ type: [ReconcileReportResponse] }) items: ReconcileReportResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ReconcileSummaryResponse {
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty() passes: number;
  @ApiProperty() longestPassMs: number;
  @ApiProperty({
    description: 'kind → action → count',
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { type: 'number' } },
  })
  findings: Record<string, Record<string, number>>;
}

export function toFindingResponse(f: ReconcileFinding): ReconcileFindingResponse {
  return { kind: f.kind, port: f.port, leaseId: f.leaseId, action: f.action, detail: f.detail };
}

export function toReconcileReportResponse(r: ReconcileReport): ReconcileReportResponse {
  return {
    id: r.id,
    nodeId: r.nodeId,
    startedAt: iso(r.startedAt),
    durationMs: r.durationMs,
    checkedPorts: r.checkedPorts,
    deferred: r.deferred,
    osReadError: r.osReadError,
    findings: r.findings.map(toFindingResponse),
  };
}

export function toReconcileSummaryResponse(s: ReconcileSummary): ReconcileSummaryResponse {
  return { from: iso(s.from), to: iso(s.to), passes: s.passes, longestPassMs: s.longestPassMs, findings: s.findings };
}
