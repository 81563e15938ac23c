import { DomainError } from './domain.error';

export class StreamConflictError extends DomainError {
  readonly code = 'stream_conflict';
  readonly kind = 'conflict';
  constructor(streamId: string, leaseId: string, differences: string[]) {
    super(`stream ${streamId} already has active lease ${leaseId} with different ${differences.join(', ')}`);
    this.extra.leaseId = leaseId;
  }
}
