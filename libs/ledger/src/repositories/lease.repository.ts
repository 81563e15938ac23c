import { Injectable } from '@nestjs/common';
import { Brackets } from 'typeorm';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import { ACTIVE_STATES, type EndCause, type Lease, type LeaseState } from '../domain/lease';
import { LeaseEntity } from '../entities';
import { decodeCursor, encodeCursor } from './history-cursor';
import { toLease } from './lease.mapper';

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

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The only code that touches the leases table. */
@Injectable()
export class LeaseRepository {
  constructor(private readonly db: LedgerDatabase) {}

  async insertReserved(tx: Tx, lease: Lease): Promise<void> {
    await tx.insert(LeaseEntity, { ...lease, finalStats: lease.finalStats as never });
  }

  /** Moves an active lease to another active state; false when it is no longer active. */
  async markActiveState(tx: Tx, id: string, state: LeaseState, now: number): Promise<boolean> {
    const r = await tx
      .createQueryBuilder()
      .update(LeaseEntity)
      .set({ state, updatedAt: now })
      .where('id = :id AND state IN (:...active)', { id, active: ACTIVE_STATES })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  async extendExpiry(tx: Tx, id: string, expiresAt: number, ttlS: number, now: number): Promise<boolean> {
    const r = await tx
      .createQueryBuilder()
      .update(LeaseEntity)
      .set({ expiresAt, ttlS, updatedAt: now })
      .where('id = :id AND state IN (:...active)', { id, active: ACTIVE_STATES })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  async setRecordPath(tx: Tx, id: string, recordPath: string): Promise<void> {
    await tx.update(LeaseEntity, { id }, { recordPath });
  }

  async setSsrc(tx: Tx, id: string, ssrc: string | null, now: number): Promise<void> {
    await tx.update(LeaseEntity, { id }, { ssrc, updatedAt: now });
  }

  /** Writes the terminal state once; false when another path already ended the lease. */
  async markEnded(tx: Tx, id: string, cause: EndCause, now: number, finalStats: Record<string, unknown> | null): Promise<boolean> {
    const r = await tx
      .createQueryBuilder()
      .update(LeaseEntity)
      .set({ state: cause.state, releaseReason: cause.reason, releasedAt: now, updatedAt: now, finalStats: finalStats as never })
      .where('id = :id AND state IN (:...active)', { id, active: ACTIVE_STATES })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  async findById(id: string, tx: Tx = this.db.manager): Promise<Lease | null> {
    const e = await tx.findOne(LeaseEntity, { where: { id } });
    return e ? toLease(e) : null;
  }

  async findActiveByStream(nodeId: string, streamId: string, tx: Tx = this.db.manager): Promise<Lease | null> {
    const e = await tx
      .createQueryBuilder(LeaseEntity, 'l')
      .where('l.node_id = :nodeId AND l.stream_id = :streamId AND l.state IN (:...active)', { nodeId, streamId, active: ACTIVE_STATES })
      .getOne();
    return e ? toLease(e) : null;
  }

  async findActiveForNode(nodeId: string, tx: Tx = this.db.manager): Promise<Lease[]> {
    const rows = await tx
      .createQueryBuilder(LeaseEntity, 'l')
      .where('l.node_id = :nodeId AND l.state IN (:...active)', { nodeId, active: ACTIVE_STATES })
      .orderBy('l.rtp_port', 'ASC')
      .getMany();
    return rows.map(toLease);
  }

  async findOverdue(nodeId: string, now: number): Promise<Lease[]> {
    const rows = await this.db.manager
      .createQueryBuilder(LeaseEntity, 'l')
      .where('l.node_id = :nodeId AND l.state IN (:...active) AND l.expires_at <= :now', { nodeId, active: ACTIVE_STATES, now })
      .getMany();
    return rows.map(toLease);
  }

  /** For least-recently-used ordering: when each pair of this node was last given back. */
  async lastReleaseByPort(nodeId: string): Promise<Map<number, number>> {
    const rows: Array<{ port: number | string; at: number | string }> = await this.db.manager
      .createQueryBuilder(LeaseEntity, 'l')
      .select('l.rtp_port', 'port')
      .addSelect('MAX(COALESCE(l.released_at, l.created_at))', 'at')
      .where('l.node_id = :nodeId', { nodeId })
      .groupBy('l.rtp_port')
      .getRawMany();
    return new Map(rows.map((r) => [Number(r.port), Number(r.at)]));
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
    const cursor = f.cursor ? decodeCursor(f.cursor) : null;
    if (cursor) {
      q.andWhere(
        new Brackets((b) =>
          b.where('l.created_at < :cAt', { cAt: cursor.createdAt }).orWhere('l.created_at = :cAt AND l.id < :cId', { cId: cursor.id }),
        ),
      );
    }
    const rows = await q.orderBy('l.created_at', 'DESC').addOrderBy('l.id', 'DESC').take(f.limit + 1).getMany();
    const items = rows.slice(0, f.limit).map(toLease);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last) : null };
  }

  async countActiveByNode(nodeId: string): Promise<number> {
    return this.db.manager
      .createQueryBuilder(LeaseEntity, 'l')
      .where('l.node_id = :nodeId AND l.state IN (:...active)', { nodeId, active: ACTIVE_STATES })
      .getCount();
  }
}
