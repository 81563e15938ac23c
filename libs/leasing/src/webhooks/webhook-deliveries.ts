import {
  LedgerDatabase,
  WebhookOutboxRepository,
  type Page,
  type WebhookAttemptResult,
  type WebhookEvent,
  type WebhookStatus,
} from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';

/** This node's outbox as the app's delivery worker, its listing and its metrics see it. */
@Injectable()
export class WebhookDeliveries {
  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly db: LedgerDatabase,
    private readonly outbox: WebhookOutboxRepository,
  ) {}

  /** False until the boot sequence has opened (and migrated) the ledger. */
  get ready(): boolean {
    return this.db.dataSource.isInitialized;
  }

  due(now: number, limit: number): Promise<WebhookEvent[]> {
    return this.outbox.due(this.options.nodeId, now, limit);
  }

  /** Writes a batch of attempt outcomes in one transaction. */
  async record(results: WebhookAttemptResult[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const r of results) await this.outbox.record(tx, r);
    });
  }

  /** Deletes delivered events last touched before `deliveredBefore` and failed ones before `failedBefore`; returns how many went. */
  prune(deliveredBefore: number, failedBefore: number): Promise<number> {
    const { nodeId } = this.options;
    return this.db.transaction(async (tx) => {
      const delivered = await this.outbox.prune(tx, nodeId, 'delivered', deliveredBefore);
      const failed = await this.outbox.prune(tx, nodeId, 'failed', failedBefore);
      return delivered + failed;
    });
  }

  page(q: { status?: WebhookStatus; limit: number; cursor?: string }): Promise<Page<WebhookEvent>> {
    return this.outbox.page({ nodeId: this.options.nodeId, ...q });
  }

  /** Pending events of this node (0 when webhooks are off: nothing is ever written). */
  async countPending(): Promise<number> {
    return this.options.webhooks ? this.outbox.countPending(this.options.nodeId) : 0;
  }
}
