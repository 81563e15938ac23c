import { Inject, Injectable } from '@nestjs/common';
import type { Tx } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import { IdGenerator } from '../domain/ids';
import type { Lease } from '../domain/lease';
import { LEDGER_OPTIONS, type LedgerOptions } from '../ledger.options';
import { LeaseRepository } from '../repositories/lease.repository';
import type { ReconcileReportRecord } from '../repositories/reconcile-report.repository';
import type { LeaseWebhookType } from './webhook-event';
import { WebhookOutboxRepository } from './webhook-outbox.repository';

/**
 * Writes webhook events into the outbox, always inside the caller's transaction, so an event
 * exists exactly when the state change that caused it committed. Does nothing unless
 * WEBHOOK_URL is set (LedgerOptions.webhooks). Delivery is the app's worker's job.
 */
@Injectable()
export class WebhookOutbox {
  readonly enabled: boolean;

  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerOptions,
    private readonly repo: WebhookOutboxRepository,
    private readonly leases: LeaseRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.enabled = options.webhooks === true;
  }

  /** A lease event; pass the lease as it now is, or its id to read it inside the transaction. */
  async lease(tx: Tx, type: LeaseWebhookType, lease: Lease | string): Promise<void> {
    if (!this.enabled) return;
    const current = typeof lease === 'string' ? await this.leases.findById(lease, tx) : lease;
    if (!current) return;
    await this.put(tx, type, current.id, { lease: current });
  }

  /** `reconcile.findings`: only for a pass that did (or reports) something; pending findings wait for their next pass. */
  async reconcileReport(tx: Tx, report: ReconcileReportRecord): Promise<void> {
    if (!this.enabled || !report.findings.some((f) => f.action !== 'pending')) return;
    await this.put(tx, 'reconcile.findings', report.id, { report });
  }

  private async put(tx: Tx, type: string, subjectId: string, payload: { lease: Lease } | { report: ReconcileReportRecord }): Promise<void> {
    const now = this.clock.now();
    await this.repo.insert(tx, {
      id: this.ids.next(),
      nodeId: this.options.nodeId,
      type: type as LeaseWebhookType,
      subjectId,
      payload,
      status: 'pending',
      attempts: 0,
      lastError: null,
      createdAt: now,
      nextAttemptAt: now,
      updatedAt: now,
    });
  }
}
