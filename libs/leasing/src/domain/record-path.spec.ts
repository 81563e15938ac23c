import { describe, expect, it } from 'vitest';
import { RecordPathRefusedError } from '../errors/record-path-refused.error';
import { recordPathFor } from './record-path';
import { STREAM_ID } from './stream-id';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const LEASE = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('where a recording is written', () => {
  it('is <RECORD_DIR>/<streamId>/<UTC start>_<lease id>.ps', () => {
    expect(recordPathFor('./data/records', '34020000001320000001_0200000001', LEASE, AT)).toBe(
      `data/records/34020000001320000001_0200000001/20260102T030405Z_${LEASE}.ps`,
    );
    expect(recordPathFor('/var/rec/', 'cam.1', LEASE, AT)).toBe(`/var/rec/cam.1/20260102T030405Z_${LEASE}.ps`);
  });

  it.each(['.', '..', 'a/..', '../x', 'a/b', ''])('refuses streamId %j, whose directory is not a child of RECORD_DIR', (streamId) => {
    expect(() => recordPathFor('/var/rec', streamId, LEASE, AT)).toThrow(RecordPathRefusedError);
    expect(() => recordPathFor('/var/rec', streamId, LEASE, AT)).toThrow(`streamId ${JSON.stringify(streamId)} cannot be recorded`);
  });

  it('is what the entry points accept: every streamId the rule allows has a directory of its own', () => {
    for (const ok of ['a', '...', '.a', 'a.', '..b', 'x:y-z_1']) {
      expect(STREAM_ID.test(ok)).toBe(true);
      expect(recordPathFor('/var/rec', ok, LEASE, AT).startsWith(`/var/rec/${ok}/`)).toBe(true);
    }
    for (const bad of ['.', '..', 'a/b', '', 'x'.repeat(129)]) expect(STREAM_ID.test(bad)).toBe(false);
  });
});
