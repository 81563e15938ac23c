import { DomainError } from './domain.error';

/** A lease input that no entry point should have let through (the use cases check it once more). */
export class InvalidLeaseInputError extends DomainError {
  readonly code = 'bad_request';
  readonly kind = 'invalid';
  constructor(
    readonly field: 'streamId' | 'ssrc' | 'peerAddress' | 'transport' | 'peerPort' | 'address' | 'port' | 'forward' | 'forwardSsrc',
    readonly rule: string,
  ) {
    super(`${field} must be ${rule}`);
  }
}
