import type { Lease } from '../records/lease';
import type { ReconcileReportRecord } from '../repositories/reconcile-report.repository';

export const WEBHOOK_EVENT_TYPES = [
  'lease.listening',
  'lease.streaming',
  'lease.ended',
  'forward.down',
  'forward.up',
  'reconcile.findings',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export type LeaseWebhookType = Exclude<WebhookEventType, 'reconcile.findings'>;

export const WEBHOOK_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** What the outbox keeps of an event: the subject as it was when it happened. */
export type WebhookPayload = { lease: Lease; forward?: Record<string, unknown> } | { report: ReconcileReportRecord };

/** One outbox row as the rest of the service sees it. */
export interface WebhookEvent {
  id: string;
  nodeId: string;
  type: WebhookEventType;
  subjectId: string;
  payload: WebhookPayload;
  status: WebhookStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  nextAttemptAt: number;
  updatedAt: number;
}

/** The outcome of one delivery attempt, written back in one transaction per batch. */
export type WebhookAttemptResult =
  | { id: string; status: 'delivered'; attempts: number; at: number }
  | { id: string; status: 'pending'; attempts: number; at: number; error: string; nextAttemptAt: number }
  | { id: string; status: 'failed'; attempts: number; at: number; error: string };
