import { DomainError } from './domain.error';

/** A call that only one transport serves (connect: tcp-active) on a lease of another transport. */
export class WrongTransportError extends DomainError {
  readonly code = 'wrong_transport';
  readonly kind = 'conflict';
  constructor(leaseId: string, transport: string, needed: string) {
    super(`lease ${leaseId} is ${transport}; only a ${needed} lease can do this`);
    this.extra.leaseId = leaseId;
    this.extra.transport = transport;
  }
}
