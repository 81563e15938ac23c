import { request, type Agent } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { chunks, prng } from '../fixtures/rtp/fixtures';

/** Cases per fuzz target: a few thousand in `npm test`, `npm run fuzz -- --cases N` for the long run. */
export const CASES = Number(process.env.FUZZ_CASES ?? 3000);
export const SEED = Number(process.env.FUZZ_SEED ?? 4571);
/** Per-test timeout that grows with the case count (no time is asserted). */
export const TIMEOUT_MS = 60_000 + CASES * 4;

export { prng };

export function randomBytes(random: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (random() * 256) | 0;
  return b;
}

export function int(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * A mutant of a real input: a random window of it with 1..8 edits — bytes flipped, bits
 * flipped, runs deleted, random runs inserted, a run duplicated, or 16-bit fields set to the
 * interesting values (0, 1, 0x7fff, 0xffff...) where length fields live.
 */
export function mutate(random: () => number, good: Buffer, maxLen = 16_384): Buffer {
  const from = random() < 0.7 ? 0 : int(random, 0, Math.max(0, good.length - 1));
  const len = Math.min(maxLen, 1 + Math.floor(random() * (good.length - from)));
  let out = Buffer.from(good.subarray(from, from + len));
  for (let e = int(random, 1, 8); e > 0 && out.length > 0; e--) {
    const at = int(random, 0, out.length - 1);
    const kind = random();
    if (kind < 0.25) out[at] = (random() * 256) | 0;
    else if (kind < 0.4) out[at] ^= 1 << int(random, 0, 7);
    else if (kind < 0.55) out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + int(random, 1, 64)))]);
    else if (kind < 0.7) out = Buffer.concat([out.subarray(0, at), randomBytes(random, int(random, 1, 32)), out.subarray(at)]);
    else if (kind < 0.8) {
      const n = int(random, 1, Math.min(512, out.length - at));
      out = Buffer.concat([out.subarray(0, at + n), out.subarray(at, at + n), out.subarray(at + n)]);
    } else if (at + 1 < out.length) {
      const v = [0, 1, 2, 7, 8, 11, 12, 0x7f, 0x80, 0xff, 0x100, 0x2800, 0x2801, 0x7fff, 0x8000, 0xfffe, 0xffff][int(random, 0, 16)];
      out.writeUInt16BE(v, at);
    }
  }
  return out;
}

/** Cuts a buffer into chunks of 1..maxChunk bytes (views, no copy), the cut points drawn from `random`. */
export function chunked(random: () => number, buf: Buffer, maxChunk: number): Buffer[] {
  return chunks(buf, (random() * 2 ** 31) >>> 0, maxChunk);
}

let gcFn: (() => void) | null = null;
/** A full GC (V8's gc() made available at run time), then the heap in use. */
export function heapAfterGc(): number {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  return process.memoryUsage().heapUsed;
}

export interface FuzzHttpRequest {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

/** One request to the spawned service on 127.0.0.1:`port`, the body sent as-is; resolves with the status and text. */
export function sendTo(port: number, agent: Agent, r: FuzzHttpRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
    if (withBody) {
      headers['content-type'] = r.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(r.body as string);
    }
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, agent, headers, timeout: 20_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(withBody ? r.body : undefined);
  });
}
