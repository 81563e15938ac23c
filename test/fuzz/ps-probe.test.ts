import { describe, expect, it } from 'vitest';
import { PsProbe, type PsProbeSnapshot } from '@app/rtp';
import { payloadsOf, readOk } from '../fixtures/rtp/fixtures';
import { CASES, chunked, heapAfterGc, int, mutate, prng, randomBytes, SEED, TIMEOUT_MS } from './fuzz-support';

const ps = readOk('zlm-extracted.ps');
const psG711 = payloadsOf(readOk('zlm-tcp-ps-rtp-g711.bin'));
const VIDEO = new Set([null, 'h264', 'h265', 'svac', 'mpeg4']);
const AUDIO = new Set([null, 'aac', 'g711a', 'g711u', 'g722', 'g723', 'g729', 'svac']);

function input(random: () => number, i: number): Buffer {
  switch (i % 4) {
    case 0:
      return randomBytes(random, int(random, 1, 4000));
    case 1:
      return mutate(random, ps, 64 * 1024);
    case 2:
      return mutate(random, psG711, 64 * 1024);
    default: {
      // start codes in random places: the prober's states, not only its scan loop
      const b = randomBytes(random, int(random, 16, 3000));
      for (let n = int(random, 1, 20); n > 0; n--) {
        const at = int(random, 0, b.length - 4);
        b[at] = 0;
        b[at + 1] = 0;
        b[at + 2] = 1;
        b[at + 3] = [0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xe0, 0xb9, 0x00, 0x65, 0x67][int(random, 0, 11)];
      }
      return b;
    }
  }
}

function problemsOf(s: PsProbeSnapshot, total: number): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === 'number' && (!Number.isFinite(v) || (v < 0 && !k.startsWith('last')) || (k.startsWith('last') && v < -1)))
      out.push(`${k} = ${v}`);
  }
  if (!VIDEO.has(s.videoCodec)) out.push(`videoCodec ${s.videoCodec}`);
  if (!AUDIO.has(s.audioCodec)) out.push(`audioCodec ${s.audioCodec}`);
  if (s.bytes !== total) out.push(`bytes ${s.bytes} != fed ${total}`);
  if (s.junkBytes > s.bytes + 4 * s.bytes) out.push(`junkBytes ${s.junkBytes} out of proportion`);
  if (s.keyframes > s.videoFrames + s.psmVideoPacks) out.push(`keyframes ${s.keyframes} > frames`);
  for (const k of ['lastVideoPts', 'lastVideoDts', 'lastAudioPts'] as const) if (s[k] > 2 ** 33) out.push(`${k} above 33 bits`);
  return out;
}

describe(`PS probe fuzz (${CASES} cases, seed ${SEED})`, () => {
  it(
    'never throws, keeps every counter sane, and reads only the bytes it is given',
    () => {
      const random = prng(SEED + 20);
      const problems: string[] = [];
      let videoSeen = 0;
      const before = heapAfterGc();
      for (let i = 0; i < CASES && problems.length < 5; i++) {
        const data = input(random, i);
        const a = new PsProbe();
        const b = new PsProbe();
        const bad = (what: string) => problems.push(`case ${i} (seed ${SEED}, ${data.length} B): ${what}`);
        try {
          const gaps = random() < 0.3;
          for (const chunk of chunked(random, data, int(random, 1, 2000))) {
            // a: the chunk as a window of a larger buffer with random bytes around it; b: a copy alone
            const pre = int(random, 0, 16);
            const big = Buffer.concat([randomBytes(random, pre), chunk, randomBytes(random, 16)]);
            a.push(big, pre, pre + chunk.length);
            b.push(Buffer.from(chunk), 0, chunk.length);
            if (gaps && random() < 0.1) {
              a.discontinuity();
              b.discontinuity();
            }
          }
          const sa = a.snapshot();
          const sb = b.snapshot();
          for (const p of problemsOf(sa, data.length)) bad(p);
          if (JSON.stringify(sa) !== JSON.stringify(sb))
            bad(`depends on bytes outside its input: ${JSON.stringify(sa)} vs ${JSON.stringify(sb)}`);
          if (sa.videoCodec) videoSeen++;
        } catch (err) {
          bad(`threw ${err instanceof Error ? err.stack : String(err)}`);
        }
      }
      const growth = heapAfterGc() - before;
      console.log(`ps probe fuzz: ${CASES} cases, ${videoSeen} found a video codec, heap growth ${(growth / 1024).toFixed(0)} KB`);
      expect(problems).toEqual([]);
      expect(videoSeen).toBeGreaterThan(0);
      expect(growth).toBeLessThan(16 * 1024 * 1024);
    },
    TIMEOUT_MS,
  );
});
