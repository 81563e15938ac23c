import { InitialLedgerSqlite1764000000000 } from './1764000000000-initial-ledger';
import { ReconcileReportsSqlite1764000000001 } from './1764000000001-reconcile-reports';
import { WebhookOutboxSqlite1764000000002 } from './1764000000002-webhook-outbox';
import { HistoryIndexesSqlite1764000000003 } from './1764000000003-history-indexes';
import { TcpActivePeerPortSqlite1764000000004 } from './1764000000004-tcp-active-peer-port';
import { LeaseForwardSqlite1764000000005 } from './1764000000005-lease-forward';
import { NodeLocksSqlite1764000000009 } from './1764000000009-node-locks';
import { ActivePredicateWithoutInListSqlite1764000000010 } from './1764000000010-active-predicate-without-in-list';
import { SingleNodeIndexesSqlite1764000000011 } from './1764000000011-single-node-indexes';
import { AscendingHistoryIndexesSqlite1764000000012 } from './1764000000012-ascending-history-indexes';

/** Ordered; listed explicitly (no globs). */
export const SQLITE_MIGRATIONS = [
  InitialLedgerSqlite1764000000000,
  ReconcileReportsSqlite1764000000001,
  WebhookOutboxSqlite1764000000002,
  HistoryIndexesSqlite1764000000003,
  TcpActivePeerPortSqlite1764000000004,
  LeaseForwardSqlite1764000000005,
  NodeLocksSqlite1764000000009,
  ActivePredicateWithoutInListSqlite1764000000010,
  SingleNodeIndexesSqlite1764000000011,
  AscendingHistoryIndexesSqlite1764000000012,
];
