import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import { isActiveState, type ActiveState, type Lease, type LeaseEnd, type LeaseState } from '../records/lease';
import { decodeCursor, encodeCursor } from './history-cursor';
import { LEASE_COLUMNS, leaseFromRow, leaseToParams, type LeaseRow } from './lease-row';

/**
 * The partial indexes (ux_leases_active_port, ux_leases_active_stream, ix_leases_active_history)
 * use exactly this predicate, and a query can use them only when it carries the same text with
 * literals: with the states as bound parameters, SQLite (and PostgreSQL) cannot prove that the
 * query implies the index's predicate and read every lease row of the node instead.
 * Equalities, not an IN list: SQLite builds an ephemeral B-tree for an IN list of three on every
 * write that evaluates a partial index (SQLite migration 1764000000010). PostgreSQL's indexes
 * keep `state IN (...)`, which its planner proves from this text.
 */
export const ACTIVE_SQL = `(state = 'reserved' OR state = 'listening' OR state = 'streaming')`;
const SELECT_LEASE = `SELECT ${LEASE_COLUMNS} FROM leases`;
export const INSERT_LEASE = `INSERT INTO leases (${LEASE_COLUMNS}) VALUES (${LEASE_COLUMNS.split(',')
  .map(() => '?')
  .join(', ')})`;

/** A change to a lease that is still active (the ended ones are history and never change). */
export type LeaseRowUpdate =
  | { kind: 'state'; state: ActiveState }
  | { kind: 'expiry'; expiresAt: number; ttlS: number }
  | { kind: 'ssrc'; ssrc: string | null }
  /** tcp-active: where the service dials the device (the connect call) */
  | { kind: 'peer'; peerAddress: string; peerPort: number }
  /** the terminal state, written once */
  | { kind: 'end'; end: LeaseEnd; finalStats: Record<string, unknown> | null };

const ASSIGNMENTS: Record<LeaseRowUpdate['kind'], string> = {
  state: 'state = ?',
  expiry: 'expires_at = ?, ttl_s = ?',
  ssrc: 'ssrc = ?',
  peer: 'peer_address = ?, peer_port = ?',
  end: 'state = ?, release_reason = ?, released_at = ?, final_stats = ?',
};
/** One fixed text per kind of change, so each is prepared once. */
const UPDATE_ACTIVE = Object.fromEntries(
  Object.entries(ASSIGNMENTS).map(([kind, set]) => [kind, `UPDATE leases SET ${set}, updated_at = ? WHERE id = ? AND ${ACTIVE_SQL}`]),
) as Record<LeaseRowUpdate['kind'], string>;

/** The guarded UPDATE of one change: it touches the row only while the lease is active. */
export function leaseUpdate(id: string, change: LeaseRowUpdate, at: number): { sql: string; params: unknown[] } {
  return { sql: UPDATE_ACTIVE[change.kind], params: [...assigned(change, at), at, id] };
}

function assigned(change: LeaseRowUpdate, at: number): unknown[] {
  switch (change.kind) {
    case 'state':
      return [change.state];
    case 'expiry':
      return [change.expiresAt, change.ttlS];
    case 'ssrc':
      return [change.ssrc];
    case 'peer':
      return [change.peerAddress, change.peerPort];
    case 'end':
      return [change.end.state, change.end.reason, at, change.finalStats === null ? null : JSON.stringify(change.finalStats)];
  }
}

/**
 * Each RTP port this node has used (a skip scan: one index seek per distinct port, on
 * ix_leases_node_port_released, which holds ended leases only) with the id of the terminal event of its most recently ended
 * lease. The one-statement join it replaces grouped every event of the node's whole history.
 */
const LAST_RELEASE_BY_PORT = `
  WITH RECURSIVE ports(port) AS (
    SELECT (SELECT rtp_port FROM leases WHERE node_id = ? AND released_at IS NOT NULL ORDER BY rtp_port LIMIT 1)
    UNION ALL
    SELECT (SELECT rtp_port FROM leases WHERE node_id = ? AND released_at IS NOT NULL AND rtp_port > ports.port ORDER BY rtp_port LIMIT 1) FROM ports WHERE ports.port IS NOT NULL
  )
  SELECT ports.port AS port,
    (SELECT MAX(e.id) FROM lease_events e WHERE e.type IN ('released', 'expired', 'reclaimed', 'failed') AND e.lease_id = (
      SELECT l.id FROM leases l WHERE l.node_id = ? AND l.rtp_port = ports.port AND l.released_at IS NOT NULL
      ORDER BY l.released_at DESC LIMIT 1)) AS seq
  FROM ports WHERE ports.port IS NOT NULL`;

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

  /** Changes a lease that is still active; false when it is not (then nothing changed). */
  async update(tx: Tx, id: string, change: LeaseRowUpdate, at: number): Promise<boolean> {
    const u = leaseUpdate(id, change, at);
    return (await this.db.exec(tx, u.sql, u.params)).affected > 0;
  }

  async findById(id: string, tx: Tx | null = null): Promise<Lease | null> {
    const { rows } = await this.db.exec<LeaseRow>(tx, `${SELECT_LEASE} WHERE id = ?`, [id]);
    return rows[0] ? leaseFromRow(rows[0]) : null;
  }

  async findActiveByStream(nodeId: string, streamId: string, tx: Tx | null = null): Promise<Lease | null> {
    const { rows } = await this.db.exec<LeaseRow>(tx, `${SELECT_LEASE} WHERE node_id = ? AND stream_id = ? AND ${ACTIVE_SQL}`, [
      nodeId,
      streamId,
    ]);
    return rows[0] ? leaseFromRow(rows[0]) : null;
  }

  async findActiveForNode(nodeId: string, tx: Tx | null = null): Promise<Lease[]> {
    const { rows } = await this.db.exec<LeaseRow>(tx, `${SELECT_LEASE} WHERE node_id = ? AND ${ACTIVE_SQL} ORDER BY rtp_port`, [nodeId]);
    return rows.map(leaseFromRow);
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
    const { rows } = await this.db.exec<LeaseRow>(null, `${SELECT_LEASE} WHERE node_id = ? AND ${ACTIVE_SQL} AND expires_at <= ?`, [
      nodeId,
      now,
    ]);
    return rows.map(leaseFromRow);
  }

  /**
   * For least-recently-used ordering: for each pair of this node, a number that grows with the
   * time it was last given back (the id of its last terminal event; ids are monotonic, so two
   * releases in the same millisecond still keep their order). Never-released pairs are absent.
   * See LAST_RELEASE_BY_PORT: its cost grows with the pairs used, not with history.
   */
  async lastReleaseByPort(nodeId: string): Promise<Map<number, number>> {
    const { rows } = await this.db.exec<{ port: number | string; seq: number | string | null }>(null, LAST_RELEASE_BY_PORT, [
      nodeId,
      nodeId,
      nodeId,
    ]);
    return new Map(rows.filter((r) => r.seq !== null).map((r) => [Number(r.port), Number(r.seq)]));
  }

  /** Newest first, keyset-paged over (created_at DESC, id DESC); `cursor` is a previous page's nextCursor. */
  async history(f: LeaseHistoryFilter): Promise<Page<Lease>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const and = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    // Spelled as the partial indexes' predicates (ix_leases_*active_history, ix_leases_ended_history).
    if (f.state === 'active') and(ACTIVE_SQL);
    else if (f.state && isActiveState(f.state)) and(`state = ? AND ${ACTIVE_SQL}`, f.state);
    else if (f.state) and(`state = ? AND NOT (${ACTIVE_SQL})`, f.state);
    if (f.streamId) and('stream_id = ?', f.streamId);
    // A pair's RTP port is even and its RTCP port the next one: naming the RTP port lets the
    // read use ix_leases_port_history instead of walking all of history for an OR.
    if (f.port !== undefined) and('rtp_port = ? AND (rtp_port = ? OR rtcp_port = ?)', f.port - (f.port % 2), f.port, f.port);
    // SQLite has no node-first copy of the state, stream and active indexes (it serves one node,
    // migration 1764000000011): with one of those filters, `+node_id` keeps it off
    // ix_leases_node_history, which would walk the node's whole history, and it reads the
    // narrower index in order and filters the node.
    const narrower = f.state !== undefined || f.streamId !== undefined || f.port !== undefined;
    if (f.nodeId) and(narrower && this.db.dialect === 'sqlite' ? '+node_id = ?' : 'node_id = ?', f.nodeId);
    if (f.from !== undefined) and('created_at >= ?', f.from);
    if (f.to !== undefined) and('created_at < ?', f.to);
    const cursor = f.cursor === undefined ? null : decodeCursor(f.cursor);
    if (f.cursor !== undefined && !cursor) throw new RangeError(`not a history cursor: ${f.cursor}`);
    if (cursor) and('(created_at < ? OR (created_at = ? AND id < ?))', cursor.createdAt, cursor.createdAt, cursor.id);
    const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const { rows } = await this.db.exec<LeaseRow>(null, `${SELECT_LEASE}${filter} ORDER BY created_at DESC, id DESC LIMIT ?`, [
      ...params,
      f.limit + 1,
    ]);
    const items = rows.slice(0, f.limit).map(leaseFromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last) : null };
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
    const { rows } = await this.db.exec<{ n: number | string }>(
      null,
      `SELECT COUNT(*) AS n FROM leases WHERE node_id = ? AND ${ACTIVE_SQL}`,
      [nodeId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The nodes that hold active leases (a node whose process is gone may still hold some). */
  async activeNodeIds(): Promise<string[]> {
    const { rows } = await this.db.exec<{ node_id: string }>(
      null,
      `SELECT DISTINCT node_id FROM leases WHERE ${ACTIVE_SQL} ORDER BY node_id`,
      [],
    );
    return rows.map((r) => r.node_id);
  }
}
