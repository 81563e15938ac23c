import { DomainError } from './domain.error';

/** A lease already serves as many live pulls as LIVE_PULLS_PER_LEASE allows. */
export class TooManyPullsError extends DomainError {
  readonly code = 'too_many_pulls';
  readonly kind = 'too-many';
  constructor(leaseId: string, limit: number) {
    super(`lease ${leaseId} already serves ${limit} live pulls (LIVE_PULLS_PER_LEASE)`);
    this.extra.leaseId = leaseId;
    this.extra.limit = limit;
  }
}
