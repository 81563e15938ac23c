import { DomainError } from './domain.error';

/** The database could not be reached or refused the write; nothing was half-written. */
export class LedgerUnavailableError extends DomainError {
  readonly code = 'ledger_unavailable';
  readonly kind = 'unavailable';
  constructor(cause: unknown) {
    super(`the lease ledger is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
