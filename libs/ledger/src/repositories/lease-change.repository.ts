import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import type { Lease } from '../records/lease';
import type { WebhookEvent } from '../webhooks/webhook-event';
import { OUTBOX_COLUMNS, outboxParams, WebhookOutboxRepository } from '../webhooks/webhook-outbox.repository';
import { EVENT_COLUMNS, eventParams, LeaseEventRepository } from './lease-event.repository';
import { leaseToParams } from './lease-row';
import { INSERT_LEASE, LeaseRepository, leaseUpdate, type LeaseRowUpdate } from './lease.repository';

/** One change of a lease as the ledger writes it: the row, the event it appends and the webhook it sends. */
export interface LeaseChange {
  leaseId: string;
  at: number;
  /** the row written: a new lease, a change to an active one, or null for none (the caller knows it is active) */
  row: { kind: 'insert'; lease: Lease } | LeaseRowUpdate | null;
  event: { type: string; detail: Record<string, unknown> | null } | null;
  webhook: WebhookEvent | null;
}

/**
 * Writes a lease change with its event and its outbox row, all or nothing, in the caller's
 * transaction. A change to a lease that is no longer active writes nothing and answers false.
 *
 * On PostgreSQL the whole change is ONE statement (data-modifying CTEs: the event and the
 * webhook are inserted from the row the INSERT or guarded UPDATE returned, so they exist exactly
 * when the row changed): one round trip instead of three. On SQLite, in process, the
 * statements of the table repositories run one after another.
 */
@Injectable()
export class LeaseChangeRepository {
  /** The PostgreSQL text per shape of change (row kind, with or without event and webhook). */
  private readonly texts = new Map<string, string>();

  constructor(
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly outbox: WebhookOutboxRepository,
  ) {}

  async write(tx: Tx, c: LeaseChange): Promise<boolean> {
    if (this.db.dialect === 'postgres' && c.row !== null) return this.writeAsOne(tx, c, c.row);
    if (c.row?.kind === 'insert') await this.leases.insertReserved(tx, c.row.lease);
    else if (c.row && !(await this.leases.update(tx, c.leaseId, c.row, c.at))) return false;
    if (c.event) await this.events.append(tx, c.leaseId, c.event.type, c.at, c.event.detail);
    if (c.webhook) await this.outbox.insert(tx, c.webhook);
    return true;
  }

  private async writeAsOne(tx: Tx, c: LeaseChange, row: NonNullable<LeaseChange['row']>): Promise<boolean> {
    const rowWrite = row.kind === 'insert' ? { sql: INSERT_LEASE, params: leaseToParams(row.lease) } : leaseUpdate(c.leaseId, row, c.at);
    const params = rowWrite.params;
    if (c.event) params.push(...eventParams(c.leaseId, c.event.type, c.at, c.event.detail));
    if (c.webhook) params.push(...outboxParams(c.webhook));
    const { rows } = await this.db.exec<{ n: number | string }>(tx, this.text(row.kind, rowWrite.sql, c), params);
    return Number(rows[0]?.n ?? 0) > 0;
  }

  private text(kind: string, rowSql: string, c: LeaseChange): string {
    const key = `${kind}:${c.event ? 'e' : ''}:${c.webhook ? 'w' : ''}`;
    let text = this.texts.get(key);
    if (text === undefined) {
      // The event's and the webhook's own lease id parameters are bound, not taken from `row`:
      // the same parameter lists as the SQLite statements (eventParams, outboxParams).
      const parts = [`WITH row AS (${rowSql} RETURNING id)`];
      if (c.event) parts.push(`event AS (INSERT INTO lease_events (${EVENT_COLUMNS}) SELECT ?, ?, ?, ? FROM row)`);
      if (c.webhook)
        parts.push(`webhook AS (INSERT INTO webhook_outbox (${OUTBOX_COLUMNS}) SELECT ${placeholders(OUTBOX_COLUMNS)} FROM row)`);
      text = `${parts.join(', ')} SELECT COUNT(*) AS n FROM row`;
      this.texts.set(key, text);
    }
    return text;
  }
}

function placeholders(columns: string): string {
  return columns
    .split(',')
    .map(() => '?')
    .join(', ');
}
