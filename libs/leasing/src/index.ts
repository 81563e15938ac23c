export * from './domain/clock';
export * from './domain/end-causes';
export * from './domain/ids';
export * from './domain/lease-forward';
export * from './domain/lease-input';
export * from './domain/records';
export * from './domain/stream-id';
export * from './errors';
export * from './leasing.module';
export * from './leasing.options';
export * from './lifecycle/history-retention';
export * from './lifecycle/ledger-lifecycle';
export * from './node-lock/node-lock.service';
export * from './domain/record-path';
export * from './ports/ephemeral-range';
export type { PairCounts, PairStatus } from './ports/pair-selector';
export * from './queries/lease-queries';
export * from './queries/media-view';
export * from './queries/pair-grid.query';
export * from './queries/fleet-nodes.query';
export * from './reconcile/reconcile-report.store';
export * from './telemetry/ledger-telemetry';
export * from './transitions/lease-transitions';
export * from './expiry/expiry-sweeper';
export * from './use-cases/allocate-lease.use-case';
export * from './use-cases/allocate-request';
export * from './use-cases/close-orphan-listener.use-case';
export * from './use-cases/connect-lease.use-case';
export * from './use-cases/disconnect-device.use-case';
export * from './use-cases/pull-live-stream.use-case';
export * from './use-cases/quarantine-pair.use-case';
export * from './use-cases/release-lease.use-case';
export * from './use-cases/renew-lease.use-case';
export * from './use-cases/reopen-lease.use-case';
export * from './use-cases/listen-trouble';
export * from './use-cases/resume-leases.use-case';
export * from './use-cases/resume-retries';
export * from './use-cases/update-lease-ssrc.use-case';
export * from './webhooks/webhook-deliveries';
// What the ledger defines and the entry points read: cursors, pages, filters, webhook and report records, error classification.
export {
  decodeCursor,
  decodeEventCursor,
  isLedgerConnectionError,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_STATUSES,
  type ActiveLeaseSlot,
  type LedgerDatabaseConfig,
  type LeaseHistoryFilter,
  type LeaseWebhookType,
  type Page,
  type ReconcileFindingRecord,
  type ReconcileReportFilter,
  type ReconcileReportRecord,
  type ReconcileTotals,
  type WebhookAttemptResult,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookPayload,
  type WebhookStatus,
} from '@app/ledger';
