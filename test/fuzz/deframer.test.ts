import { describe, expect, it } from 'vitest';
import { DeframeError, RtpIngest, StreamDeframer, type DeframeErrorCode } from '@app/rtp';
import { notOkCases, readOk, rfc4571Packets, toInterleaved } from '../fixtures/rtp/fixtures';
import { CASES, chunked, heapAfterGc, int, mutate, prng, randomBytes, SEED, TIMEOUT_MS } from './fuzz-support';

const CODES: DeframeErrorCode[] = [
  'zero-length',
  'too-short',
  'too-long',
  'unknown-framing',
  'bad-magic',
  'bad-rtp-version',
  'bad-channel',
  'truncated',
];
const capture = readOk('zlm-tcp-ps-rtp.bin');
const g711 = readOk('zlm-tcp-ps-rtp-g711.bin');
const interleaved = toInterleaved(rfc4571Packets(capture).slice(0, 60), 0);
const notOk = notOkCases().map((c) => c.bytes);

/** Case i's input: random bytes, or a mutant of a real capture (RFC 4571, RFC 2326) or of a not-ok case. */
function input(random: () => number, i: number): Buffer {
  switch (i % 6) {
    case 0:
      return randomBytes(random, int(random, 1, 3000));
    case 1:
      return mutate(random, capture);
    case 2:
      return mutate(random, interleaved);
    case 3:
      return mutate(random, notOk[int(random, 0, notOk.length - 1)]);
    case 4:
      return mutate(random, g711);
    default:
      // a good start, then random bytes: the deframer has committed to a framing
      return Buffer.concat([capture.subarray(0, int(random, 2, 6000)), randomBytes(random, int(random, 1, 2000))]);
  }
}

describe(`deframer fuzz (${CASES} cases, seed ${SEED})`, () => {
  it(
    'returns only DeframeErrors with a known code, hands out only version-2 packets within the limits, buffers at most one frame',
    () => {
      const random = prng(SEED);
      const problems: string[] = [];
      const errors: Record<string, number> = {};
      let maxBufferedOver = -Infinity;
      let frames = 0;
      const before = heapAfterGc();
      for (let i = 0; i < CASES && problems.length < 5; i++) {
        const data = input(random, i);
        const maxPacketBytes = [64, 1500, 2048, 10 * 1024][int(random, 0, 3)];
        const maxChannel = int(random, 0, 4);
        const d = new StreamDeframer({ maxPacketBytes, maxChannel });
        const bad = (what: string) =>
          problems.push(`case ${i} (seed ${SEED}, ${data.length} bytes, max ${maxPacketBytes}/${maxChannel}): ${what}`);
        let first: DeframeError | null = null;
        try {
          for (const chunk of chunked(random, data, int(random, 1, 1600))) {
            const r = d.push(chunk, (buf, start, end, channel) => {
              frames++;
              const len = end - start;
              if (len < 8 || len > maxPacketBytes) bad(`frame of ${len} bytes handed out`);
              if (buf[start] >> 6 !== 2) bad(`frame with RTP version ${buf[start] >> 6} handed out`);
              if (channel > maxChannel) bad(`frame on channel ${channel} handed out`);
            });
            maxBufferedOver = Math.max(maxBufferedOver, d.bufferedBytes - (maxPacketBytes + 4));
            if (r !== null && !(r instanceof DeframeError)) bad(`push returned ${String(r)}`);
            if (r instanceof DeframeError && !CODES.includes(r.code)) bad(`unknown code ${r.code}`);
            if (first && r !== first) bad('a failed deframer returned something else than its error');
            first ??= r;
          }
          const f = d.finish();
          if (f !== null && !(f instanceof DeframeError)) bad(`finish returned ${String(f)}`);
          if (!first && f && f.code !== 'truncated') bad(`finish after a clean stream said ${f.code}`);
          const code = (first ?? f)?.code ?? 'none';
          errors[code] = (errors[code] ?? 0) + 1;
        } catch (err) {
          bad(`threw ${err instanceof Error ? err.stack : String(err)}`);
        }
      }
      const growth = heapAfterGc() - before;
      console.log(
        `deframer fuzz: ${CASES} cases, ${frames} frames handed out, outcomes ${JSON.stringify(errors)}, heap growth ${(growth / 1024).toFixed(0)} KB`,
      );
      expect(problems).toEqual([]);
      expect(maxBufferedOver).toBeLessThanOrEqual(0);
      // several outcomes were reached (the fuzzer is not stuck in one path)
      expect(Object.keys(errors).length).toBeGreaterThanOrEqual(6);
      expect(growth).toBeLessThan(16 * 1024 * 1024);
    },
    TIMEOUT_MS,
  );

  it(
    'one long-lived ingest per stream kind stays bounded in memory over every mutant (state carried between inputs)',
    () => {
      const random = prng(SEED + 1);
      const before = heapAfterGc();
      let pushes = 0;
      let ingest = new RtpIngest({ maxPacketBytes: 2048 });
      let maxBuffered = 0;
      for (let i = 0; i < CASES; i++) {
        for (const chunk of chunked(random, input(random, i), 1460)) {
          const r = ingest.push(chunk, i);
          pushes++;
          maxBuffered = Math.max(maxBuffered, ingest.bufferedBytes);
          if (r) {
            // the connection would be closed here: a new one gets a new ingest
            expect(r).toBeInstanceOf(DeframeError);
            ingest.snapshot();
            ingest = new RtpIngest({ maxPacketBytes: 2048 });
            break;
          }
        }
      }
      const growth = heapAfterGc() - before;
      console.log(`ingest fuzz: ${pushes} pushes, max buffered ${maxBuffered} B, heap growth ${(growth / 1024).toFixed(0)} KB`);
      expect(maxBuffered).toBeLessThanOrEqual(2048 + 4);
      expect(growth).toBeLessThan(16 * 1024 * 1024);
    },
    TIMEOUT_MS,
  );
});
