import { DomainError } from './domain.error';

export class LeaseEndedError extends DomainError {
  readonly code = 'lease_ended';
  readonly kind = 'conflict';
  constructor(leaseId: string, state: string) {
    super(`lease ${leaseId} has already ended (${state})`);
    this.extra.leaseId = leaseId;
  }
}
