import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonText } from './epoch-ms.transformer';

/** One row per port *pair* lease (docs/ARCHITECTURE.md#invariants, rule 1: one ledger row covers every socket of the pair). */
@Entity({ name: 'leases' })
export class LeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId: string;

  @Column({ name: 'stream_id', type: 'varchar', length: 128 })
  streamId: string;

  @Column({ type: 'varchar', length: 255 })
  host: string;

  @Column({ name: 'rtp_port', type: 'integer' })
  rtpPort: number;

  @Column({ name: 'rtcp_port', type: 'integer' })
  rtcpPort: number;

  @Column({ type: 'varchar', length: 16 })
  transport: string;

  @Column({ type: 'varchar', length: 16 })
  state: string;

  @Column({ type: 'varchar', length: 10, nullable: true })
  ssrc: string | null;

  @Column({ name: 'peer_address', type: 'varchar', length: 64, nullable: true })
  peerAddress: string | null;

  @Column({ name: 'peer_port', type: 'integer', nullable: true })
  peerPort: number | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  client: string | null;

  @Column({ type: 'boolean', default: false })
  record: boolean;

  @Column({ name: 'record_path', type: 'text', nullable: true })
  recordPath: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  forward: string | null;

  @Column({ name: 'forward_ssrc', type: 'varchar', length: 10, nullable: true })
  forwardSsrc: string | null;

  @Column({ name: 'ttl_s', type: 'integer' })
  ttlS: number;

  @Column({ name: 'connect_timeout_s', type: 'integer' })
  connectTimeoutS: number;

  @Column({ name: 'idle_timeout_s', type: 'integer' })
  idleTimeoutS: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: number;

  @Column({ name: 'released_at', type: 'bigint', nullable: true, transformer: epochMs })
  releasedAt: number | null;

  @Column({ name: 'release_reason', type: 'varchar', length: 64, nullable: true })
  releaseReason: string | null;

  @Column({ name: 'final_stats', type: 'text', nullable: true, transformer: jsonText })
  finalStats: Record<string, unknown> | null;
}
