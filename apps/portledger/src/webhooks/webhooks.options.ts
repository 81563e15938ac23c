export interface WebhookDeliveryOptions {
  /** WEBHOOK_URL; null: no events are written and the worker does not run */
  url: string | null;
  secret: string | null;
  /** delivered events are pruned this long after delivery (REPORT_RETENTION_DAYS) */
  deliveredRetentionDays: number;
  /** failed events are pruned this long after they were given up (HISTORY_RETENTION_DAYS) */
  failedRetentionDays: number;
}

export const WEBHOOK_DELIVERY_OPTIONS = Symbol('WEBHOOK_DELIVERY_OPTIONS');
