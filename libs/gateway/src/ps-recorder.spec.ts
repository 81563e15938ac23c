import type { PsPayloadInfo } from '@app/rtp';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PsRecorder } from './ps-recorder';

const INFO: PsPayloadInfo = { ssrc: 1, sequence: 0, timestamp: 0, marker: false, packStart: false, keyframe: false, discontinuity: false };

describe('PsRecorder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-recorder-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the directories and writes every payload, in order, complete when close() resolves', async () => {
    const path = join(dir, 'stream-1', 'x.ps');
    const rec = new PsRecorder(path);
    const expected: Buffer[] = [];
    for (let i = 0; i < 700; i++) {
      const payload = Buffer.alloc(1000 + (i % 400), i & 0xff);
      const framed = Buffer.concat([Buffer.from([7, 7]), payload, Buffer.from([7])]);
      rec.write(framed, 2, 2 + payload.length, INFO);
      expected.push(payload);
    }
    await rec.close();
    expect(readFileSync(path).equals(Buffer.concat(expected))).toBe(true);
    expect(rec.bytes).toBe(Buffer.concat(expected).length);
    expect(rec.error).toBeNull();
  });

  it('appends to the file of a lease resumed after a restart', async () => {
    const path = join(dir, 'resumed.ps');
    writeFileSync(path, Buffer.from('before-restart|'));
    const rec = new PsRecorder(path);
    const more = Buffer.from('after');
    rec.write(more, 0, more.length, INFO);
    await rec.close();
    expect(readFileSync(path, 'utf8')).toBe('before-restart|after');
  });

  it('reports a file it cannot create instead of throwing', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    const rec = new PsRecorder(join(blocker, 'sub', 'y.ps'));
    rec.write(Buffer.alloc(10), 0, 10, INFO);
    await rec.close();
    expect(rec.error).toMatch(/EEXIST|ENOTDIR/);
  });
});
