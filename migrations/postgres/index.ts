import { InitialLedgerPostgres1764000000000 } from './1764000000000-initial-ledger';
import { ReconcileReportsPostgres1764000000001 } from './1764000000001-reconcile-reports';
import { WebhookOutboxPostgres1764000000002 } from './1764000000002-webhook-outbox';
import { HistoryIndexesPostgres1764000000003 } from './1764000000003-history-indexes';
import { TcpActivePeerPortPostgres1764000000004 } from './1764000000004-tcp-active-peer-port';
import { LeaseForwardPostgres1764000000005 } from './1764000000005-lease-forward';
import { NodeLocksPostgres1764000000009 } from './1764000000009-node-locks';

/** Ordered; listed explicitly (no globs). */
export const POSTGRES_MIGRATIONS = [
  InitialLedgerPostgres1764000000000,
  ReconcileReportsPostgres1764000000001,
  WebhookOutboxPostgres1764000000002,
  HistoryIndexesPostgres1764000000003,
  TcpActivePeerPortPostgres1764000000004,
  LeaseForwardPostgres1764000000005,
  NodeLocksPostgres1764000000009,
];
