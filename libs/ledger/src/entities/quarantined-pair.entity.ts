import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

@Entity({ name: 'quarantined_pairs' })
export class QuarantinedPairEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  @PrimaryColumn({ name: 'rtp_port', type: 'integer' })
  rtpPort: number;

  @Column({ name: 'rtcp_port', type: 'integer' })
  rtcpPort: number;

  @Column({ type: 'integer' })
  port: number;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'owner_pid', type: 'integer', nullable: true })
  ownerPid: number | null;

  @Column({ name: 'owner_command', type: 'text', nullable: true })
  ownerCommand: string | null;

  @Column({ name: 'owner_uid', type: 'integer', nullable: true })
  ownerUid: number | null;

  @Column({ type: 'bigint', transformer: epochMs })
  since: number;
}
