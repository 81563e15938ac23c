import { InitialLedgerPostgres1764000000000 } from './1764000000000-initial-ledger';

/** Ordered; listed explicitly (no globs). */
export const POSTGRES_MIGRATIONS = [InitialLedgerPostgres1764000000000];
