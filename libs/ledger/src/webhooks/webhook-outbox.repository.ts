import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import { decodeCursor, encodeCursor } from '../repositories/history-cursor';
import type { Page } from '../repositories/lease.repository';
import type { WebhookAttemptResult, WebhookEvent, WebhookStatus } from './webhook-event';

/** Every column of an outbox row, in the order of outboxParams. */
export const OUTBOX_COLUMNS =
  'id, node_id, type, subject_id, payload, status, attempts, last_error, created_at, next_attempt_at, updated_at';

export function outboxParams(e: WebhookEvent): unknown[] {
  return [
    e.id,
    e.nodeId,
    e.type,
    e.subjectId,
    JSON.stringify(e.payload),
    e.status,
    e.attempts,
    e.lastError,
    e.createdAt,
    e.nextAttemptAt,
    e.updatedAt,
  ];
}

interface Row {
  id: string;
  node_id: string;
  type: string;
  subject_id: string;
  payload: string;
  status: string;
  attempts: number | string;
  last_error: string | null;
  created_at: number | string;
  next_attempt_at: number | string;
  updated_at: number | string;
}

export interface WebhookPageFilter {
  nodeId: string;
  status?: WebhookStatus;
  limit: number;
  cursor?: string;
}

/** The only code that touches the webhook_outbox table. */
@Injectable()
export class WebhookOutboxRepository {
  constructor(private readonly db: LedgerDatabase) {}

  async insert(tx: Tx, e: WebhookEvent): Promise<void> {
    await this.db.exec(tx, `INSERT INTO webhook_outbox (${OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, outboxParams(e));
  }

  /** This node's pending events whose next attempt is due, oldest first. */
  async due(nodeId: string, now: number, limit: number): Promise<WebhookEvent[]> {
    const { rows } = await this.db.exec<Row>(
      null,
      `SELECT ${OUTBOX_COLUMNS} FROM webhook_outbox WHERE status = 'pending' AND node_id = ? AND next_attempt_at <= ?
       ORDER BY next_attempt_at, created_at, id LIMIT ?`,
      [nodeId, now, limit],
    );
    return rows.map(fromRow);
  }

  /** The earliest next attempt among this node's pending events, or null when none is pending. */
  async nextDueAt(nodeId: string): Promise<number | null> {
    const { rows } = await this.db.exec<{ at: number | string | null }>(
      null,
      `SELECT MIN(next_attempt_at) AS at FROM webhook_outbox WHERE status = 'pending' AND node_id = ?`,
      [nodeId],
    );
    const at = rows[0]?.at;
    return at === null || at === undefined ? null : Number(at);
  }

  async record(tx: Tx, r: WebhookAttemptResult): Promise<void> {
    const error = r.status === 'delivered' ? null : r.error;
    const next = r.status === 'pending' ? r.nextAttemptAt : r.at;
    await this.db.exec(
      tx,
      `UPDATE webhook_outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
      [r.status, r.attempts, error, next, r.at, r.id],
    );
  }

  /** Newest first, keyset-paginated over (createdAt DESC, id DESC) like lease history. */
  async page(f: WebhookPageFilter): Promise<Page<WebhookEvent>> {
    const where = ['node_id = ?'];
    const params: unknown[] = [f.nodeId];
    if (f.status) {
      where.push('status = ?');
      params.push(f.status);
    }
    const cursor = f.cursor === undefined ? null : decodeCursor(f.cursor);
    if (f.cursor !== undefined && !cursor) throw new RangeError(`not a history cursor: ${f.cursor}`);
    if (cursor) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(cursor.createdAt, cursor.createdAt, cursor.id);
    }
    const { rows } = await this.db.exec<Row>(
      null,
      `SELECT ${OUTBOX_COLUMNS} FROM webhook_outbox WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, f.limit + 1],
    );
    const items = rows.slice(0, f.limit).map(fromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last) : null };
  }

  async countPending(nodeId: string): Promise<number> {
    const { rows } = await this.db.exec<{ n: number | string }>(
      null,
      `SELECT COUNT(*) AS n FROM webhook_outbox WHERE status = 'pending' AND node_id = ?`,
      [nodeId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Deletes this node's events in `status` last touched before `olderThan`; returns how many went. */
  async prune(tx: Tx, nodeId: string, status: Exclude<WebhookStatus, 'pending'>, olderThan: number): Promise<number> {
    const r = await this.db.exec(tx, `DELETE FROM webhook_outbox WHERE node_id = ? AND status = ? AND updated_at < ?`, [
      nodeId,
      status,
      olderThan,
    ]);
    return r.affected;
  }
}

function fromRow(r: Row): WebhookEvent {
  return {
    id: r.id,
    nodeId: r.node_id,
    type: r.type as WebhookEvent['type'],
    subjectId: r.subject_id,
    payload: JSON.parse(r.payload) as WebhookEvent['payload'],
    status: r.status as WebhookStatus,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    nextAttemptAt: Number(r.next_attempt_at),
    updatedAt: Number(r.updated_at),
  };
}
