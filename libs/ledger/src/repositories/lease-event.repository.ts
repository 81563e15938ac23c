import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import type { LeaseEvent } from '../records/lease';
import type { Page } from './lease.repository';

interface EventRow {
  id: number | string;
  type: string;
  at: number | string;
  detail: string | null;
}

/** What an appended event writes, in this order (eventParams). */
export const EVENT_COLUMNS = 'lease_id, type, at, detail';

export function eventParams(leaseId: string, type: string, at: number, detail: Record<string, unknown> | null): unknown[] {
  return [leaseId, type, at, detail === null ? null : JSON.stringify(detail)];
}

// Both reads walk ix_lease_events_lease (lease_id, id) from one end: never more rows than asked.
const EVENTS_AFTER = 'SELECT id, type, at, detail FROM lease_events WHERE lease_id = ? AND id > ? ORDER BY id LIMIT ?';
const LAST_EVENTS = 'SELECT id, type, at, detail FROM lease_events WHERE lease_id = ? ORDER BY id DESC LIMIT ?';

/** A position in one lease's events: after the event with this id (ids grow with time). */
export function encodeEventCursor(afterId: number): string {
  return Buffer.from(`after:${afterId}`, 'utf8').toString('base64url');
}

/** The event id of a cursor written by encodeEventCursor, or null for any other text. */
export function decodeEventCursor(text: string): number | null {
  const m = /^after:(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!m) return null;
  const id = Number(m[1]);
  return encodeEventCursor(id) === text ? id : null;
}

@Injectable()
export class LeaseEventRepository {
  constructor(private readonly db: LedgerDatabase) {}

  async append(tx: Tx, leaseId: string, type: string, at: number, detail: Record<string, unknown> | null = null): Promise<void> {
    await this.db.exec(tx, `INSERT INTO lease_events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?)`, eventParams(leaseId, type, at, detail));
  }

  /** Deletes every event of these leases (history retention); returns how many went. */
  async deleteForLeases(tx: Tx, leaseIds: string[]): Promise<number> {
    if (leaseIds.length === 0) return 0;
    const r = await this.db.exec(tx, `DELETE FROM lease_events WHERE lease_id IN (${leaseIds.map(() => '?').join(', ')})`, leaseIds);
    return r.affected;
  }

  /** Up to `limit` events of a lease, oldest first, after `cursor` (a nextCursor of a previous page). */
  async page(leaseId: string, limit: number, cursor?: string): Promise<Page<LeaseEvent>> {
    const after = cursor === undefined ? 0 : decodeEventCursor(cursor);
    if (after === null) throw new RangeError(`not an event cursor: ${cursor}`);
    const { rows } = await this.db.exec<EventRow>(null, EVENTS_AFTER, [leaseId, after, limit + 1]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toEvent), nextCursor: rows.length > limit && last ? encodeEventCursor(Number(last.id)) : null };
  }

  /** The newest `n` events of a lease, oldest first. */
  async last(leaseId: string, n: number): Promise<LeaseEvent[]> {
    if (n <= 0) return [];
    const { rows } = await this.db.exec<EventRow>(null, LAST_EVENTS, [leaseId, n]);
    return rows.reverse().map(toEvent);
  }
}

function toEvent(r: EventRow): LeaseEvent {
  return { type: r.type, at: Number(r.at), detail: r.detail === null ? null : (JSON.parse(r.detail) as LeaseEvent['detail']) };
}
