import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../entities/epoch-ms.transformer';

/**
 * The webhook outbox: one row per event, written in the same transaction as the state change
 * that caused it, delivered afterwards (at least once). Times in epoch milliseconds.
 */
@Entity({ name: 'webhook_outbox' })
export class WebhookEventEntity {
  /** the event id receivers de-duplicate on */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  /** lease.listening, lease.streaming, lease.ended, reconcile.findings */
  @Column({ type: 'varchar', length: 32 })
  type: string;

  /** the lease id or the reconcile report id */
  @Column({ name: 'subject_id', type: 'varchar', length: 36 })
  subjectId: string;

  /** JSON: { lease } or { report }, as they were when the event happened */
  @Column({ type: 'text' })
  payload: string;

  /** pending, delivered or failed */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs })
  nextAttemptAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: number;
}
