import { DomainError } from '@app/leasing';

/** The boot sequence has not finished (the ledger may still be unreachable); /health says why. */
export class ServiceStartingError extends DomainError {
  readonly code = 'starting';
  readonly kind = 'unavailable';
  constructor() {
    super('portledger is starting (connecting to the ledger, resuming leases, first reconcile pass); see GET /health');
  }
}
