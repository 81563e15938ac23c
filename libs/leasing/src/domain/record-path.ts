import { dirname, join, resolve } from 'node:path';
import { RecordPathRefusedError } from '../errors/record-path-refused.error';

/**
 * The stream's recording directory, `<RECORD_DIR>/<streamId>`. Defence in depth behind the
 * entry points' streamId rule: unless it is, resolved, a direct child of RECORD_DIR, resolved
 * (so not `.`, `..`, `a/..`, `a/b`), the recording is refused, never written elsewhere.
 */
export function recordDirFor(recordDir: string, streamId: string): string {
  const streamDir = join(recordDir, streamId);
  if (dirname(resolve(streamDir)) !== resolve(recordDir)) throw new RecordPathRefusedError(streamId);
  return streamDir;
}

/** `<RECORD_DIR>/<streamId>/<UTC start>_<lease id>.ps`: findable from the stream, the time or the lease. */
export function recordPathFor(recordDir: string, streamId: string, leaseId: string, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join(recordDirFor(recordDir, streamId), `${stamp}_${leaseId}.ps`);
}
