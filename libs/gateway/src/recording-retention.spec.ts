import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneRecordings, RecordingRetention } from './recording-retention';

const DAY_MS = 24 * 3600 * 1000;
const NOW = Date.now();

describe('recording retention', () => {
  let base: string;
  let root: string;
  const file = (path: string, ageDays: number) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'ps');
    const t = (NOW - ageDays * DAY_MS) / 1000;
    utimesSync(path, t, t);
  };

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'rec-retention-'));
    root = join(base, 'records');
    mkdirSync(root);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('deletes .ps files older than the cutoff and the stream directories left empty, and keeps the rest', async () => {
    file(join(root, 'cam-1', 'old-a.ps'), 40);
    file(join(root, 'cam-1', 'old-b.ps'), 31);
    file(join(root, 'cam-2', 'old.ps'), 45);
    file(join(root, 'cam-2', 'fresh.ps'), 2);
    file(join(root, 'cam-3', 'notes.txt'), 400);

    const summary = await pruneRecordings(root, NOW - 30 * DAY_MS);
    expect(summary).toEqual({ files: 3, dirs: 1 });
    expect(readdirSync(root).sort()).toEqual(['cam-2', 'cam-3']);
    expect(readdirSync(join(root, 'cam-2'))).toEqual(['fresh.ps']);
    expect(readdirSync(join(root, 'cam-3'))).toEqual(['notes.txt']);
  });

  it('never follows a symlink out of RECORD_DIR, to a directory or to a file', async () => {
    const outside = join(base, 'elsewhere');
    file(join(outside, 'precious.ps'), 400);
    symlinkSync(outside, join(root, 'linked-stream'));
    mkdirSync(join(root, 'cam-1'));
    symlinkSync(join(outside, 'precious.ps'), join(root, 'cam-1', 'link.ps'));

    await pruneRecordings(root, NOW - 30 * DAY_MS);
    expect(existsSync(join(outside, 'precious.ps'))).toBe(true);
    expect(readdirSync(root).sort()).toEqual(['cam-1', 'linked-stream']);
    expect(readdirSync(join(root, 'cam-1'))).toEqual(['link.ps']);
  });

  it('is a no-op on a RECORD_DIR that does not exist yet', async () => {
    expect(await pruneRecordings(join(base, 'missing'), NOW)).toEqual({ files: 0, dirs: 0 });
  });

  it('prunes by RECORD_RETENTION_DAYS and keeps everything when it is 0', async () => {
    file(join(root, 'cam-1', 'a.ps'), 8);
    expect(await new RecordingRetention({ bindHost: '127.0.0.1', recordDir: root, recordRetentionDays: 0 }).pruneOnce(NOW)).toEqual({
      files: 0,
      dirs: 0,
    });
    expect(await new RecordingRetention({ bindHost: '127.0.0.1', recordDir: root, recordRetentionDays: 10 }).pruneOnce(NOW)).toEqual({
      files: 0,
      dirs: 0,
    });
    expect(await new RecordingRetention({ bindHost: '127.0.0.1', recordDir: root, recordRetentionDays: 7 }).pruneOnce(NOW)).toEqual({
      files: 1,
      dirs: 1,
    });
    expect(readdirSync(root)).toEqual([]);
  });
});
