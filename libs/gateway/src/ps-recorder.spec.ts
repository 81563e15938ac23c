import type { PsPayloadInfo } from '@app/rtp';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PsRecorder, type RecordFile, type RecordingStopped } from './ps-recorder';

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

  /** Writes `count` payloads of `size` bytes (byte value = index), as the ingest would. */
  function push(rec: PsRecorder, count: number, size: number): Buffer {
    const all: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const payload = Buffer.alloc(size, i & 0xff);
      rec.write(payload, 0, size, INFO);
      all.push(payload);
    }
    return Buffer.concat(all);
  }

  it('stops at RECORD_MAX_BYTES: the file holds exactly the first maxBytes, and the stop is told once', async () => {
    const path = join(dir, 'capped', 'x.ps');
    const stops: RecordingStopped[] = [];
    const rec = new PsRecorder(path, { root: dir, maxBytes: 300_000, onStopped: (s) => stops.push(s) });
    const sent = push(rec, 500, 1316);
    await rec.close();
    expect(statSync(path).size).toBe(300_000);
    expect(readFileSync(path).equals(sent.subarray(0, 300_000))).toBe(true);
    expect(stops).toEqual([{ why: 'max-bytes', path, bytes: 300_000 }]);
    expect(rec.summary()).toEqual({ path, bytes: 300_000, error: null, stopped: 'max-bytes' });
  });

  it('counts what a resumed lease already recorded against RECORD_MAX_BYTES', async () => {
    const path = join(dir, 'capped-resumed.ps');
    writeFileSync(path, Buffer.alloc(1000, 1));
    const stops: RecordingStopped[] = [];
    const rec = new PsRecorder(path, { maxBytes: 4000, onStopped: (s) => stops.push(s) });
    push(rec, 10, 1000);
    await rec.close();
    expect(statSync(path).size).toBe(4000);
    expect(stops.map((s) => s.why)).toEqual(['max-bytes']);
  });

  it('stops on a write error, keeps what was written, and never throws into the stream', async () => {
    const path = join(dir, 'failing.ps');
    const stops: RecordingStopped[] = [];
    let writes = 0;
    const rec = new PsRecorder(path, {
      onStopped: (s) => stops.push(s),
      openFile: async (p) => {
        const real = await import('node:fs/promises').then((fs) => fs.open(p, 'a'));
        const file: RecordFile = {
          write: (data, offset, length) => {
            if (++writes > 1) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
            return real.write(data, offset, length);
          },
          sync: () => real.sync(),
          close: () => real.close(),
          stat: () => real.stat(),
        };
        return file;
      },
    });
    push(rec, 600, 1000);
    await rec.close();
    expect(stops.map((s) => s.why)).toEqual(['disk-error: ENOSPC']);
    expect(rec.error).toContain('ENOSPC');
    // the first buffer handed over (262 whole payloads of 1000 bytes) is on disk; nothing after it
    expect(statSync(path).size).toBe(262_000);
    push(rec, 1, 10);
  });

  it('gives up on a stalled disk: the pending writes stay bounded and close() does not wait for the disk', async () => {
    const stops: RecordingStopped[] = [];
    const never = new Promise<never>(() => undefined);
    let handedToDisk = 0;
    const stalled: RecordFile = {
      write: (_data, _at, len) => {
        handedToDisk += len;
        return never;
      },
      sync: () => never,
      close: () => never,
      stat: () => never,
    };
    const path = join(dir, 'stalled', 'x.ps');
    const rec = new PsRecorder(path, {
      maxPendingBytes: 1024 * 1024,
      closeWaitMs: 50,
      onStopped: (s) => stops.push(s),
      openFile: () => Promise.resolve(stalled),
    });
    push(rec, 4000, 1316); // ~5 MB: far more than the 1 MB the disk may fall behind
    expect(rec.stopped).toBe('disk-stalled');
    expect(rec.bytes).toBeLessThanOrEqual(1024 * 1024 + 256 * 1024);
    await rec.close();
    await Promise.resolve();
    expect(stops.map((s) => s.why)).toEqual(['disk-stalled']);
    expect(handedToDisk).toBeLessThanOrEqual(1024 * 1024);
  });

  it('refuses a path outside RECORD_DIR without creating anything', async () => {
    const root = join(dir, 'root');
    const outside = join(dir, 'escaped', 'x.ps');
    const stops: RecordingStopped[] = [];
    const rec = new PsRecorder(join(root, '..', 'escaped', 'x.ps'), { root, onStopped: (s) => stops.push(s) });
    push(rec, 3, 100);
    await rec.close();
    await Promise.resolve();
    expect(existsSync(outside)).toBe(false);
    expect(stops.map((s) => s.why)).toEqual(['outside-record-dir']);
  });
});
