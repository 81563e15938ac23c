import { InitialLedgerSqlite1764000000000 } from './1764000000000-initial-ledger';

/** Ordered; listed explicitly (no globs). */
export const SQLITE_MIGRATIONS = [InitialLedgerSqlite1764000000000];
