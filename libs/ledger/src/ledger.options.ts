export type LedgerDatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      url: string;
      /** DB_STATEMENT_TIMEOUT_MS: a statement (or a connect) that does not answer in this time fails; default 5000 */
      statementTimeoutMs?: number;
    };

/** The database the ledger persists to; LeasingModule passes it from its own options. */
export const LEDGER_DATABASE_CONFIG = Symbol('LEDGER_DATABASE_CONFIG');
