/**
 * Domain errors carry a stable contract code and a kind; the app maps the kind to an HTTP
 * status in one filter. The domain never throws HTTP exceptions.
 */
/** `too-many`: a per-lease limit is reached (HTTP 429). */
export type DomainErrorKind = 'not-found' | 'conflict' | 'unavailable' | 'invalid' | 'too-many';

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: DomainErrorKind;
  /** extra fields for the error body, e.g. { leaseId } */
  readonly extra: Record<string, unknown> = {};

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
