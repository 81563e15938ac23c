import { DomainError } from './domain.error';

/** A recording would land outside RECORD_DIR (a hostile streamId): the allocation is refused. */
export class RecordPathRefusedError extends DomainError {
  readonly code = 'invalid_stream_id';
  readonly kind = 'invalid';
  constructor(streamId: string) {
    super(`streamId ${JSON.stringify(streamId)} cannot be recorded: its recording would lie outside RECORD_DIR`);
  }
}
