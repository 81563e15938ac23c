import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import { ACTIVE_STATES, type EndCause, type Lease, type LeaseState } from '../domain/lease';
import { LeaseEntity } from '../entities';
import { keysetPage } from './history-cursor';
import { LEASE_COLUMNS, leaseFromRow, leaseToParams, type LeaseRow } from './lease-row';
import { toLease } from './lease.mapper';

// The partial unique indexes use exactly this predicate; keep them in step.
const ACTIVE_SQL = `state IN ('reserved', 'listening', 'streaming')`;
const INSERT_LEASE = `INSERT INTO leases (${LEASE_COLUMNS}) VALUES (${LEASE_COLUMNS.split(',').map(() => '?').join(', ')})`;

export interface LeaseHistoryFilter {
  state?: LeaseState | 'active';
  streamId?: string;
  port?: number;
  nodeId?: string;
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

export type ActiveLeaseSlot = Pick<Lease, 'id' | 'rtpPort' | 'rtcpPort' | 'state' | 'createdAt' | 'expiresAt'>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The only code that touches the leases table. */
@Injectable()
export class LeaseRepository {
  constructor(private readonly db: LedgerDatabase) {}

  async insertReserved(tx: Tx, lease: Lease): Promise<void> {
    await this.db.exec(tx, INSERT_LEASE, leaseToParams(lease));
  }

  /** Moves an active lease to another active state; false when it is no longer active. */
  async markActiveState(tx: Tx, id: string, state: LeaseState, now: number): Promise<boolean> {
    const r = await this.db.exec(tx, `UPDATE leases SET state = ?, updated_at = ? WHERE id = ? AND ${ACTIVE_SQL}`, [state, now, id]);
    return r.affected > 0;
  }

  async extendExpiry(tx: Tx, id: string, expiresAt: number, ttlS: number, now: number): Promise<boolean> {
    const r = await this.db.exec(tx, `UPDATE leases SET expires_at = ?, ttl_s = ?, updated_at = ? WHERE id = ? AND ${ACTIVE_SQL}`, [expiresAt, ttlS, now, id]);
    return r.affected > 0;
  }

  async setRecordPath(tx: Tx, id: string, recordPath: string): Promise<void> {
    await this.db.exec(tx, 'UPDATE leases SET record_path = ? WHERE id = ?', [recordPath, id]);
  }

  async setSsrc(tx: Tx, id: string, ssrc: string | null, now: number): Promise<void> {
    await this.db.exec(tx, 'UPDATE leases SET ssrc = ?, updated_at = ? WHERE id = ?', [ssrc, now, id]);
  }

  /** Writes the terminal state once; false when another path already ended the lease. */
  async markEnded(tx: Tx, id: string, cause: EndCause, now: number, finalStats: Record<string, unknown> | null): Promise<boolean> {
    const r = await this.db.exec(
      tx,
      `UPDATE leases SET state = ?, release_reason = ?, released_at = ?, updated_at = ?, final_stats = ? WHERE id = ? AND ${ACTIVE_SQL}`,
      [cause.state, cause.reason, now, now, finalStats === null ? null : JSON.stringify(finalStats), id],
    );
    return r.affected > 0;
  }

  async findById(id: string, tx: Tx | null = null): Promise<Lease | null> {
    const { rows } = await this.db.exec<LeaseRow>(tx, `SELECT ${LEASE_COLUMNS} FROM leases WHERE id = ?`, [id]);
    return rows[0] ? leaseFromRow(rows[0]) : null;
  }

  async findActiveByStream(nodeId: string, streamId: string, tx: Tx | null = null): Promise<Lease | null> {
    const { rows } = await this.db.exec<LeaseRow>(
      tx,
      `SELECT ${LEASE_COLUMNS} FROM leases WHERE node_id = ? AND stream_id = ? AND ${ACTIVE_SQL}`,
      [nodeId, streamId],
    );
    return rows[0] ? leaseFromRow(rows[0]) : null;
  }

  async findActiveForNode(nodeId: string, tx: Tx = this.db.manager): Promise<Lease[]> {
    const rows = await tx
      .createQueryBuilder(LeaseEntity, 'l')
      .where('l.node_id = :nodeId AND l.state IN (:...active)', { nodeId, active: ACTIVE_STATES })
      .orderBy('l.rtp_port', 'ASC')
      .getMany();
    return rows.map(toLease);
  }

  /**
   * What the reconciler compares of this node's active leases (RTP port above `afterPort`, in
   * port order, at most `limit`): it reads in narrow pages so that no single synchronous
   * SQLite read holds the event loop for long.
   */
  async findActiveSlotsForNode(nodeId: string, afterPort: number, limit: number): Promise<ActiveLeaseSlot[]> {
    const { rows } = await this.db.exec<Pick<LeaseRow, 'id' | 'rtp_port' | 'rtcp_port' | 'state' | 'created_at' | 'expires_at'>>(
      null,
      `SELECT id, rtp_port, rtcp_port, state, created_at, expires_at FROM leases
       WHERE node_id = ? AND ${ACTIVE_SQL} AND rtp_port > ? ORDER BY rtp_port LIMIT ?`,
      [nodeId, afterPort, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      rtpPort: Number(r.rtp_port),
      rtcpPort: Number(r.rtcp_port),
      state: r.state as LeaseState,
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
    }));
  }

  async findOverdue(nodeId: string, now: number): Promise<Lease[]> {
    const rows = await this.db.manager
      .createQueryBuilder(LeaseEntity, 'l')
      .where('l.node_id = :nodeId AND l.state IN (:...active) AND l.expires_at <= :now', { nodeId, active: ACTIVE_STATES, now })
      .getMany();
    return rows.map(toLease);
  }

  /**
   * For least-recently-used ordering: for each pair of this node, a number that grows with the
   * time it was last given back (the id of its last terminal event; ids are monotonic, so two
   * releases in the same millisecond still keep their order). Never-released pairs are absent.
   */
  async lastReleaseByPort(nodeId: string): Promise<Map<number, number>> {
    const { rows } = await this.db.exec<{ port: number | string; seq: number | string }>(
      null,
      `SELECT l.rtp_port AS port, MAX(e.id) AS seq FROM lease_events e JOIN leases l ON l.id = e.lease_id
       WHERE l.node_id = ? AND e.type IN ('released', 'expired', 'reclaimed', 'failed') GROUP BY l.rtp_port`,
      [nodeId],
    );
    return new Map(rows.map((r) => [Number(r.port), Number(r.seq)]));
  }

  async history(f: LeaseHistoryFilter): Promise<Page<Lease>> {
    const q = this.db.manager.createQueryBuilder(LeaseEntity, 'l');
    if (f.state === 'active') q.andWhere('l.state IN (:...active)', { active: ACTIVE_STATES });
    else if (f.state) q.andWhere('l.state = :state', { state: f.state });
    if (f.streamId) q.andWhere('l.stream_id = :streamId', { streamId: f.streamId });
    if (f.port !== undefined) q.andWhere('(l.rtp_port = :port OR l.rtcp_port = :port)', { port: f.port });
    if (f.nodeId) q.andWhere('l.node_id = :nodeId', { nodeId: f.nodeId });
    if (f.from !== undefined) q.andWhere('l.created_at >= :from', { from: f.from });
    if (f.to !== undefined) q.andWhere('l.created_at < :to', { to: f.to });
    return keysetPage(q, { time: 'l.created_at', id: 'l.id' }, f.limit, f.cursor, toLease, (l) => ({ createdAt: l.createdAt, id: l.id }));
  }

  /**
   * Up to `limit` ids of this node's ended leases created and ended before `before`, oldest
   * first (history retention). The created_at bound keeps it on ix_leases_node_history.
   */
  async findEndedBefore(tx: Tx, nodeId: string, before: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.exec<{ id: string }>(
      tx,
      `SELECT id FROM leases WHERE node_id = ? AND created_at < ? AND released_at < ? AND NOT (${ACTIVE_SQL})
       ORDER BY created_at LIMIT ?`,
      [nodeId, before, before, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Deletes these leases if they have ended (never an active one); events go first, see LeaseEventRepository. */
  async deleteEnded(tx: Tx, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.db.exec(tx, `DELETE FROM leases WHERE id IN (${ids.map(() => '?').join(', ')}) AND NOT (${ACTIVE_SQL})`, ids);
    return r.affected;
  }

  /** Ids of this node's active leases (the health check's listener comparison). */
  async activeIdsForNode(nodeId: string): Promise<string[]> {
    const { rows } = await this.db.exec<{ id: string }>(null, `SELECT id FROM leases WHERE node_id = ? AND ${ACTIVE_SQL}`, [nodeId]);
    return rows.map((r) => r.id);
  }

  async countActiveByNode(nodeId: string): Promise<number> {
    return this.db.manager
      .createQueryBuilder(LeaseEntity, 'l')
      .where('l.node_id = :nodeId AND l.state IN (:...active)', { nodeId, active: ACTIVE_STATES })
      .getCount();
  }
}
