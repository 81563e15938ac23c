import { describe, expect, it } from 'vitest';
import { isRtcp, parseRtp, RtcpCounters, RtpHeader, RtpParse } from '@app/rtp';
import { readOk, rfc4571Packets, rtpPacket } from '../fixtures/rtp/fixtures';
import { CASES, heapAfterGc, int, mutate, prng, randomBytes, SEED, TIMEOUT_MS } from './fuzz-support';

const packets = [
  ...rfc4571Packets(readOk('zlm-tcp-ps-rtp.bin')).slice(0, 400),
  ...rfc4571Packets(readOk('zlm-tcp-ps-rtp-g711.bin')).slice(0, 200),
];
const RESULTS = new Set<number>(Object.values(RtpParse));

/** A packet with the optional header parts (CSRCs, extension, padding) that the captures lack. */
function builtPacket(random: () => number): Buffer {
  return rtpPacket({
    seq: int(random, 0, 0xffff),
    timestamp: int(random, 0, 0xffffffff),
    ssrc: int(random, 0, 0xffffffff),
    payloadType: int(random, 0, 127),
    marker: random() < 0.5,
    csrcs: Array.from({ length: int(random, 0, 15) }, () => int(random, 0, 0xffffffff)),
    extension: random() < 0.5 ? { profile: int(random, 0, 0xffff), data: randomBytes(random, 4 * int(random, 0, 8)) } : undefined,
    payload: randomBytes(random, int(random, 0, 300)),
    padding: random() < 0.3 ? int(random, 1, 255) : undefined,
  });
}

function fields(h: RtpHeader, base: number) {
  return [
    h.version,
    h.padding,
    h.extension,
    h.csrcCount,
    h.marker,
    h.payloadType,
    h.sequence,
    h.timestamp,
    h.ssrc,
    h.extensionProfile,
    h.extensionStart - base,
    h.extensionEnd - base,
    h.paddingLength,
    h.payloadStart - base,
    h.payloadEnd - base,
  ].join(',');
}

describe(`RTP/RTCP parser fuzz (${CASES} cases, seed ${SEED})`, () => {
  it(
    'answers one of the RtpParse codes, keeps every offset inside the packet, and never reads outside [start, end)',
    () => {
      const random = prng(SEED + 10);
      const problems: string[] = [];
      const outcomes: Record<number, number> = {};
      const alone = new RtpHeader();
      const embedded = new RtpHeader();
      const rtcp = new RtcpCounters();
      const before = heapAfterGc();
      for (let i = 0; i < CASES && problems.length < 5; i++) {
        const kind = i % 4;
        const pkt =
          kind === 0
            ? randomBytes(random, int(random, 0, 200))
            : kind === 1
              ? mutate(random, packets[int(random, 0, packets.length - 1)], 2000)
              : kind === 2
                ? builtPacket(random)
                : mutate(random, builtPacket(random), 2000);
        const bad = (what: string) =>
          problems.push(`case ${i} (seed ${SEED}) ${pkt.subarray(0, 24).toString('hex')}…(${pkt.length} B): ${what}`);
        try {
          const r = parseRtp(pkt, 0, pkt.length, alone);
          outcomes[r] = (outcomes[r] ?? 0) + 1;
          if (!RESULTS.has(r)) bad(`result ${r}`);
          // the same bytes inside a larger buffer of random bytes: same answer, same fields
          const pre = randomBytes(random, int(random, 0, 40));
          const big = Buffer.concat([pre, pkt, randomBytes(random, int(random, 0, 40))]);
          const r2 = parseRtp(big, pre.length, pre.length + pkt.length, embedded);
          if (r2 !== r) bad(`result ${r} alone but ${r2} inside a larger buffer`);
          if (r === RtpParse.ok) {
            if (fields(alone, 0) !== fields(embedded, pre.length)) bad('fields differ inside a larger buffer (reads outside the packet)');
            const h = alone;
            if (h.version !== 2) bad(`ok with version ${h.version}`);
            if (!(
              12 <= h.extensionStart &&
              h.extensionStart <= h.extensionEnd &&
              h.extensionEnd <= h.payloadStart &&
              h.payloadStart <= h.payloadEnd &&
              h.payloadEnd <= pkt.length
            ))
              bad(`offsets out of order: ${fields(h, 0)}`);
            if (h.payloadEnd + h.paddingLength !== pkt.length) bad('payload + padding != packet');
            if (
              h.csrcCount > 15 ||
              h.payloadType > 127 ||
              h.sequence > 0xffff ||
              h.timestamp > 0xffffffff ||
              h.ssrc > 0xffffffff ||
              h.ssrc < 0
            )
              bad(`field out of range: ${fields(h, 0)}`);
          }
          if (pkt.length >= 2 && typeof isRtcp(pkt, 0) !== 'boolean') bad('isRtcp not boolean');
          rtcp.count(pkt, 0, pkt.length);
        } catch (err) {
          bad(`threw ${err instanceof Error ? err.stack : String(err)}`);
        }
      }
      const growth = heapAfterGc() - before;
      console.log(
        `rtp parser fuzz: ${CASES} cases, outcomes ${JSON.stringify(outcomes)}, rtcp ${rtcp.packets} parts/${rtcp.malformed} malformed, heap growth ${(growth / 1024).toFixed(0)} KB`,
      );
      expect(problems).toEqual([]);
      expect(outcomes[RtpParse.ok]).toBeGreaterThan(0);
      expect(Object.keys(outcomes).length).toBeGreaterThanOrEqual(4);
      expect(growth).toBeLessThan(16 * 1024 * 1024);
    },
    TIMEOUT_MS,
  );
});
