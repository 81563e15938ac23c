export type LedgerDatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

/** The database the ledger persists to; LeasingModule passes it from its own options. */
export const LEDGER_DATABASE_CONFIG = Symbol('LEDGER_DATABASE_CONFIG');
