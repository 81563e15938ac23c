import { Clock, WebhookDeliveries, type WebhookAttemptResult, type WebhookEvent } from '@app/leasing';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { PortledgerMetrics } from '../metrics/portledger-metrics';
import { RETRY_POLICY, retryDelayMs, shouldGiveUp } from './retry-policy';
import { renderWebhookBody } from './webhook-body';
import { SIGNATURE_HEADER, signWebhookBody } from './webhook-signature';
import { WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhooks.options';

const BATCH = 16;
const IDLE_POLL_MS = 500;
const REQUEST_TIMEOUT_MS = 10_000;
const PRUNE_EVERY_MS = 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Delivers the outbox (at least once): polls this node's due events, POSTs each signed body,
 * and writes every outcome back (delivered, retry later with backoff, or failed). It runs on
 * its own loop, outside every lease call and transaction: a receiver that is down or slow only
 * delays its own events. Pending events survive restarts because they are rows.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private running: Promise<void> | null = null;
  private stop = new AbortController();
  private polledOnce = false;
  private lastPrune = 0;

  constructor(
    @Inject(WEBHOOK_DELIVERY_OPTIONS) private readonly options: WebhookDeliveryOptions,
    private readonly outbox: WebhookDeliveries,
    private readonly metrics: PortledgerMetrics,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.url || !this.options.secret) return;
    this.running = this.loop();
    this.logger.log(`webhook delivery to ${this.options.url} started`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      let handled = 0;
      try {
        // The ledger opens (and migrates) in the boot sequence, after the application bootstrap.
        if (this.outbox.ready) handled = await this.deliverDue();
        if (this.clock.now() - this.lastPrune >= PRUNE_EVERY_MS && this.polledOnce) await this.prune();
      } catch (err) {
        if (this.polledOnce)
          this.logger.warn(
            `webhook delivery: the outbox could not be read or written: ${err instanceof Error ? err.message : String(err)}`,
          );
      }
      if (handled < BATCH) await sleep(IDLE_POLL_MS, undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
  }

  /** One batch of due events, delivered in parallel; returns how many were tried. */
  private async deliverDue(): Promise<number> {
    const due = await this.outbox.due(this.clock.now(), BATCH);
    this.polledOnce = true;
    if (due.length === 0) return 0;
    const results = await Promise.all(due.map((e) => this.attempt(e)));
    await this.outbox.record(results);
    return due.length;
  }

  private async attempt(e: WebhookEvent): Promise<WebhookAttemptResult> {
    const body = renderWebhookBody(e);
    const attempts = e.attempts + 1;
    let error: string;
    try {
      const res = await fetch(this.options.url as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'portledger-webhooks',
          [SIGNATURE_HEADER]: signWebhookBody(body, this.options.secret as string),
          'x-portledger-event': e.type,
          'x-portledger-delivery': e.id,
        },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), this.stop.signal]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.metrics.webhookDelivered(e.type);
        return { id: e.id, status: 'delivered', attempts, at: this.clock.now() };
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      error = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    }
    const now = this.clock.now();
    this.metrics.webhookAttemptFailed(e.type);
    if (shouldGiveUp(e.createdAt, now)) {
      this.metrics.webhookGaveUp(e.type);
      this.logger.warn(`webhook ${e.id} (${e.type} ${about(e)}): given up after ${attempts} attempts: ${error}`);
      return { id: e.id, status: 'failed', attempts, at: now, error };
    }
    const delay = retryDelayMs(attempts, Math.random(), RETRY_POLICY);
    if (attempts === 1) this.logger.warn(`webhook ${e.id} (${e.type} ${about(e)}): delivery failed (${error}); retrying with backoff`);
    return { id: e.id, status: 'pending', attempts, at: now, error, nextAttemptAt: now + delay };
  }

  private async prune(): Promise<void> {
    const now = this.clock.now();
    this.lastPrune = now;
    const gone = await this.outbox.prune(
      now - this.options.deliveredRetentionDays * DAY_MS,
      now - this.options.failedRetentionDays * DAY_MS,
    );
    if (gone > 0) this.logger.log(`webhook outbox: pruned ${gone} delivered or failed events`);
  }
}

/** What an event is about, for log lines: a lease with its stream and port, or a report. */
function about(e: WebhookEvent): string {
  if ('lease' in e.payload) return `lease ${e.payload.lease.id} stream ${e.payload.lease.streamId} port ${e.payload.lease.rtpPort}`;
  return `reconcile report ${e.subjectId}`;
}
