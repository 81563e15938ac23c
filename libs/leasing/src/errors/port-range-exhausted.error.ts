import { DomainError } from './domain.error';

export class PortRangeExhaustedError extends DomainError {
  readonly code = 'port_range_exhausted';
  readonly kind = 'unavailable';
  constructor(detail: string) {
    super(`no free port pair could be opened: ${detail}`);
  }
}
