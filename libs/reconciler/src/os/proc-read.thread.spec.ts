import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProcReadError, ProcReadThread } from './proc-read.thread';

describe('ProcReadThread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portledger-procread-'));
  let thread = new ProcReadThread();
  afterEach(async () => {
    await thread.close();
    thread = new ProcReadThread();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const readAll = async (path: string) => {
    const chunks: string[] = [];
    await thread.read(path, (t) => chunks.push(t));
    return chunks;
  };

  it('hands a file over in order, in chunks, byte for byte (here 200,000 lines of text)', async () => {
    const text = Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join('\n');
    writeFileSync(join(dir, 'big'), text);
    const chunks = await readAll(join(dir, 'big'));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(text);
  });

  it('hands over one chunk per turn of the event loop, however many the thread has sent meanwhile', async () => {
    writeFileSync(join(dir, 'many'), 'M'.repeat(1_000_000));
    const seen: string[] = [];
    await thread.read(join(dir, 'many'), () => {
      // Held up on its first chunk, the loop finds the thread's other chunks all waiting.
      if (seen.length === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      seen.push('chunk');
      setImmediate(() => seen.push('turn'));
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.filter((e) => e === 'chunk').length).toBeGreaterThan(2);
    expect(seen.join(' ')).not.toContain('chunk chunk');
  });

  it('reads a real /proc table to its end (the header first)', async () => {
    const chunks = await readAll('/proc/net/tcp');
    expect(chunks.join('').split('\n')[0]).toContain('local_address');
  });

  it('answers several reads at once, each with its own file', async () => {
    writeFileSync(join(dir, 'a'), 'A'.repeat(100_000));
    writeFileSync(join(dir, 'b'), 'B'.repeat(10));
    const [a, b] = await Promise.all([readAll(join(dir, 'a')), readAll(join(dir, 'b'))]);
    expect(a.join('')).toBe('A'.repeat(100_000));
    expect(b.join('')).toBe('B'.repeat(10));
  });

  it('rejects a missing file with its errno code, and goes on reading the next one', async () => {
    const err = await thread.read(join(dir, 'missing'), () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcReadError);
    expect((err as ProcReadError).code).toBe('ENOENT');
    writeFileSync(join(dir, 'after'), 'still here');
    expect((await readAll(join(dir, 'after'))).join('')).toBe('still here');
  });

  it('ends the read whose consumer throws, with that error', async () => {
    writeFileSync(join(dir, 'c'), 'C'.repeat(300_000));
    const err = await thread
      .read(join(dir, 'c'), () => {
        throw new Error('cannot take this');
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('cannot take this');
  });

  it('fails the reads in flight when closed, and can be closed twice', async () => {
    writeFileSync(join(dir, 'd'), 'D'.repeat(5_000_000));
    const pending = expect(thread.read(join(dir, 'd'), () => undefined)).rejects.toThrow('closed');
    await thread.close();
    await pending;
    await thread.close();
  });
});
