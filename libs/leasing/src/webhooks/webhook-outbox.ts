import {
  WebhookOutboxRepository,
  type Lease,
  type LeaseWebhookType,
  type ReconcileReportRecord,
  type Tx,
  type WebhookEvent,
  type WebhookPayload,
} from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { IdGenerator } from '../domain/ids';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';

/**
 * Makes the webhook events of the outbox, always written inside the caller's transaction, so
 * an event exists exactly when the state change that caused it committed. Does nothing unless
 * WEBHOOK_URL is set (LeasingOptions.webhooks). Delivery is the app's worker's job.
 */
@Injectable()
export class WebhookOutbox {
  readonly enabled: boolean;

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly repo: WebhookOutboxRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.enabled = options.webhooks === true;
  }

  /**
   * A lease event, with the lease as it now is, for the caller to write with the change that
   * caused it (LeaseTransitionWriter decides which transition sends which); null when webhooks are off.
   */
  forLease(type: LeaseWebhookType, lease: Lease, forward?: Record<string, unknown>): WebhookEvent | null {
    if (!this.enabled) return null;
    return this.event(type, lease.id, forward ? { lease, forward } : { lease });
  }

  /** `reconcile.findings`: only for a pass that did (or reports) something; pending findings wait for their next pass. */
  async reconcileReport(tx: Tx, report: ReconcileReportRecord): Promise<void> {
    if (!this.enabled || !report.findings.some((f) => f.action !== 'pending')) return;
    await this.repo.insert(tx, this.event('reconcile.findings', report.id, { report }));
  }

  private event(type: LeaseWebhookType | 'reconcile.findings', subjectId: string, payload: WebhookPayload): WebhookEvent {
    const now = this.clock.now();
    return {
      id: this.ids.next(),
      nodeId: this.options.nodeId,
      type,
      subjectId,
      payload,
      status: 'pending',
      attempts: 0,
      lastError: null,
      createdAt: now,
      nextAttemptAt: now,
      updatedAt: now,
    };
  }
}
