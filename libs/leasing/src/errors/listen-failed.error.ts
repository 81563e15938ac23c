import { DomainError } from './domain.error';

/**
 * listen() failed for a reason that is not about the port pair (the bind address is not up,
 * the process is out of descriptors): no pair would do, so none is quarantined. HTTP 503.
 */
export class ListenFailedError extends DomainError {
  readonly code = 'listen_failed';
  readonly kind = 'unavailable';
  constructor(bindHost: string, errno: string) {
    super(`cannot listen on ${bindHost}: ${errno}`);
    this.extra.errno = errno;
    this.extra.bindHost = bindHost;
  }
}
