import { DomainError } from './domain.error';

/** Another live process runs this NODE_ID on the same ledger: this one must not start. */
export class NodeIdHeldError extends DomainError {
  readonly code = 'node_id_held';
  readonly kind = 'conflict';
}
