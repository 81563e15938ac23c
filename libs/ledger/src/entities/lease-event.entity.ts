import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from './epoch-ms.transformer';

@Entity({ name: 'lease_events' })
export class LeaseEventEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'lease_id', type: 'varchar', length: 36 })
  leaseId: string;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ type: 'bigint', transformer: epochMs })
  at: number;

  @Column({ type: 'text', nullable: true, transformer: jsonText })
  detail: Record<string, unknown> | null;
}
