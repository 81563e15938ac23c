import { DomainError } from './domain.error';

export class LeaseNotFoundError extends DomainError {
  readonly code = 'lease_not_found';
  readonly kind = 'not-found';
  constructor(what: string) {
    super(`no lease ${what}`);
  }
}
