import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import type { LeaseEvent } from '../domain/lease';
import { LeaseEventEntity } from '../entities';

@Injectable()
export class LeaseEventRepository {
  constructor(private readonly db: LedgerDatabase) {}

  async append(tx: Tx, leaseId: string, type: string, at: number, detail: Record<string, unknown> | null = null): Promise<void> {
    await this.db.exec(tx, 'INSERT INTO lease_events (lease_id, type, at, detail) VALUES (?, ?, ?, ?)', [
      leaseId,
      type,
      at,
      detail === null ? null : JSON.stringify(detail),
    ]);
  }

  /** Deletes every event of these leases (history retention); returns how many went. */
  async deleteForLeases(tx: Tx, leaseIds: string[]): Promise<number> {
    if (leaseIds.length === 0) return 0;
    const r = await this.db.exec(tx, `DELETE FROM lease_events WHERE lease_id IN (${leaseIds.map(() => '?').join(', ')})`, leaseIds);
    return r.affected;
  }

  /** Oldest first; `last` returns only the newest N (still oldest first). */
  async forLease(leaseId: string, last?: number): Promise<LeaseEvent[]> {
    const rows = await this.db.manager.find(LeaseEventEntity, {
      where: { leaseId },
      order: { id: last ? 'DESC' : 'ASC' },
      ...(last ? { take: last } : {}),
    });
    if (last) rows.reverse();
    return rows.map((r) => ({ type: r.type, at: r.at, detail: r.detail }));
  }
}
