import { InitialLedgerPostgres1764000000000 } from './1764000000000-initial-ledger';
import { ReconcileReportsPostgres1764000000001 } from './1764000000001-reconcile-reports';

/** Ordered; listed explicitly (no globs). */
export const POSTGRES_MIGRATIONS = [InitialLedgerPostgres1764000000000, ReconcileReportsPostgres1764000000001];
