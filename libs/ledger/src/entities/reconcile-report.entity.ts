import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonText } from './epoch-ms.transformer';

/** One reconcile pass of one node: what it compared and what it found and did. */
@Entity({ name: 'reconcile_reports' })
export class ReconcileReportEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  @Column({ name: 'started_at', type: 'bigint', transformer: epochMs })
  startedAt: number;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs: number;

  @Column({ name: 'checked_ports', type: 'integer' })
  checkedPorts: number;

  /** how many findings the pass wrote, so "withFindings" filters without reading the JSON */
  @Column({ name: 'finding_count', type: 'integer' })
  findingCount: number;

  @Column({ type: 'boolean' })
  deferred: boolean;

  @Column({ name: 'os_read_error', type: 'text', nullable: true })
  osReadError: string | null;

  @Column({ type: 'text', transformer: jsonText })
  findings: unknown[];
}
