import { describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toRfc4571, withSeq } from '../../../test/fixtures/rtp/fixtures';
import { RtpIngest } from './ingest';
import { RtpStatsSnapshot, RtpStreamStats, SeqVerdict } from './rtp-stats';

const SSRC = 123456789;
const fixture = rfc4571Packets(readOk('zlm-tcp-ps-rtp.bin'));
/** Fresh copies of the first n fixture packets, so a test may edit them. */
const firstPackets = (n: number) => fixture.slice(0, n).map((p) => Buffer.from(p));

/** Sends edited fixture packets through the whole receive path, one chunk each. */
function statsOf(packets: Buffer[]): RtpStatsSnapshot {
  const ingest = new RtpIngest();
  for (const [i, p] of packets.entries()) expect(ingest.push(toRfc4571([p]), i)).toBeNull();
  return ingest.stats(SSRC)!.snapshot();
}

function move<T>(list: T[], from: number, to: number): T[] {
  const out = [...list];
  out.splice(to, 0, ...out.splice(from, 1));
  return out;
}

describe('sequence statistics (RFC 3550 A.1, A.3)', () => {
  it('counts a clean stream as nothing lost, nothing reordered', () => {
    expect(statsOf(firstPackets(200))).toMatchObject({
      baseSeq: 0,
      highestSeq: 199,
      expected: 200,
      received: 200,
      lost: 0,
      missing: 0,
      reordered: 0,
      duplicates: 0,
    });
  });

  it('counts a gap of three packets as three lost', () => {
    const packets = firstPackets(200);
    packets.splice(100, 3);
    expect(statsOf(packets)).toMatchObject({ expected: 200, received: 197, lost: 3, missing: 3, reordered: 0 });
  });

  it('counts two swapped packets as one reordered and nothing lost', () => {
    expect(statsOf(move(firstPackets(200), 10, 11))).toMatchObject({
      expected: 200,
      received: 200,
      lost: 0,
      reordered: 1,
      duplicates: 0,
    });
  });

  it('counts a packet arriving 30 places late as reordered', () => {
    expect(statsOf(move(firstPackets(200), 20, 50))).toMatchObject({ lost: 0, reordered: 1, duplicates: 0 });
  });

  it('reports a duplicate as received twice: RFC loss goes to -1, missing stays 0', () => {
    const packets = firstPackets(200);
    packets.splice(51, 0, Buffer.from(packets[50]));
    expect(statsOf(packets)).toMatchObject({ expected: 200, received: 201, lost: -1, missing: 0, duplicates: 1, reordered: 0 });
  });

  it('recognises a late duplicate of an older packet', () => {
    const packets = firstPackets(200);
    packets.splice(60, 0, Buffer.from(packets[20]));
    expect(statsOf(packets)).toMatchObject({ received: 201, lost: -1, duplicates: 1, reordered: 0 });
  });

  it('carries the sequence across 65535 -> 0 into the extended sequence number', () => {
    const packets = firstPackets(200).map((p, i) => withSeq(p, 65436 + i));
    expect(statsOf(packets)).toMatchObject({
      baseSeq: 65436,
      highestSeq: 65536 + 99,
      cycles: 1,
      expected: 200,
      received: 200,
      lost: 0,
      reordered: 0,
    });
  });

  it('counts a swap across the wrap (0 before 65535) as reordered, not as a cycle', () => {
    const packets = move(
      firstPackets(200).map((p, i) => withSeq(p, 65436 + i)),
      99,
      100,
    );
    expect(statsOf(packets)).toMatchObject({ highestSeq: 65536 + 99, cycles: 1, expected: 200, lost: 0, reordered: 1 });
  });

  it('counts packets lost across the wrap', () => {
    const packets = firstPackets(200).map((p, i) => withSeq(p, 65436 + i));
    packets.splice(99, 2); // 65535 and 0
    expect(statsOf(packets)).toMatchObject({ cycles: 1, expected: 200, received: 198, lost: 2 });
  });

  it('re-synchronises after a sender restart: the jump is confirmed by the second packet', () => {
    const packets = firstPackets(200).map((p, i) => withSeq(p, i < 100 ? i : 10_000 + i - 100));
    expect(statsOf(packets)).toMatchObject({
      packets: 200,
      resyncs: 1,
      ignored: 1,
      baseSeq: 10_001,
      highestSeq: 10_099,
      expected: 99,
      received: 99,
      lost: 0,
    });
  });

  it('with RFC probation (MIN_SEQUENTIAL 2) does not count the first packet', () => {
    const stats = new RtpStreamStats(1, { probation: 2 });
    expect(stats.update(500, 0, false, 100, 88, 0)).toBe(SeqVerdict.ignored);
    for (let s = 501; s < 510; s++) stats.update(s, 0, false, 100, 88, 0);
    expect(stats.snapshot()).toMatchObject({ packets: 10, ignored: 1, baseSeq: 501, expected: 9, received: 9, lost: 0 });
  });

  it('tells the caller which packets are in order, after a gap, or late', () => {
    const stats = new RtpStreamStats(1);
    const verdicts = [0, 1, 3, 2, 2, 4].map((seq) => stats.update(seq, 0, false, 20, 8, 0));
    expect(verdicts).toEqual([
      SeqVerdict.inOrder,
      SeqVerdict.inOrder,
      SeqVerdict.gap,
      SeqVerdict.late,
      SeqVerdict.late,
      SeqVerdict.inOrder,
    ]);
    expect(stats.snapshot()).toMatchObject({ reordered: 1, duplicates: 1, lost: -1, missing: 0 });
  });
});

describe('interarrival jitter (RFC 3550 A.8)', () => {
  it('is 0 for the capture arriving with a constant delay', () => {
    const ts0 = fixture[0].readUInt32BE(4);
    const ingest = new RtpIngest();
    for (const p of fixture) ingest.push(toRfc4571([p]), 5000 + (p.readUInt32BE(4) - ts0) / 90);
    expect(ingest.stats(SSRC)!.jitter).toBeCloseTo(0, 9);
  });

  it('matches a hand computation on a known pattern', () => {
    // 90 kHz, one frame per 40 ms. Arrivals 0, 40, 50, 130 ms = 0, 3600, 4500, 11700 ticks.
    // Transit R - S: 0, 0, -2700, 900. |D|: 0, 2700, 3600.
    // J = 0 + (0 - 0)/16 = 0; J = 0 + (2700 - 0)/16 = 168.75; J = 168.75 + (3600 - 168.75)/16 = 383.203125.
    const stats = new RtpStreamStats(1);
    [0, 40, 50, 130].forEach((ms, i) => stats.update(i, i * 3600, true, 100, 88, ms));
    expect(stats.jitter).toBe(383.203125);
    expect(stats.snapshot().jitterMs).toBeCloseTo(383.203125 / 90, 12);
  });

  it('is unaffected by the 32-bit timestamp wrap', () => {
    const stats = new RtpStreamStats(1);
    for (let i = 0; i < 50; i++) stats.update(i, (0xffff0000 + i * 3600) >>> 0, true, 100, 88, i * 40);
    expect(stats.jitter).toBe(0);
    expect(stats.timestampJumps).toBe(0);
  });

  it("ignores the G.711 capture's first timestamp (0, then 540000) instead of reading 6 s of jitter", () => {
    const packets = rfc4571Packets(readOk('zlm-tcp-ps-rtp-g711.bin'));
    expect([packets[0].readUInt32BE(4), packets[1].readUInt32BE(4)]).toEqual([0, 540000]);
    const ingest = new RtpIngest();
    // The first packet arrives together with the IDR that follows it; the rest at a constant delay.
    for (const p of packets) ingest.push(toRfc4571([p]), 1000 + Math.max(0, p.readUInt32BE(4) - 540000) / 90);
    const s = ingest.stats(123456790)!.snapshot();
    expect(s.timestampJumps).toBe(1);
    expect(s.jitterMs).toBeCloseTo(0, 9);
    // A literal A.8 would have taken |D| = 540000 ticks as its second sample: 33750 ticks, 375 ms.
  });

  it('still shows a network stall as jitter', () => {
    const stats = new RtpStreamStats(1);
    for (let i = 0; i < 10; i++) stats.update(i, i * 3600, true, 100, 88, i * 40 + (i >= 5 ? 500 : 0));
    expect(stats.timestampJumps).toBe(0);
    // One sample of |D| = 500 ms at packet 5, then four samples of 0 that each keep 15/16.
    expect(stats.snapshot().jitterMs).toBeCloseTo((500 / 16) * (15 / 16) ** 4, 9);
  });
});

describe('volume', () => {
  it('reports bitrate over the last complete window', () => {
    const stats = new RtpStreamStats(1, { bitrateWindowMs: 1000 });
    for (let i = 0; i <= 10; i++) stats.update(i, i * 9000, false, 1000, 988, i * 100);
    expect(stats.snapshot()).toMatchObject({ bitrateBps: 80_000, packets: 11, bytes: 11_000, payloadBytes: 10_868 });
  });

  it('counts packets, bytes and marker bits of the capture', () => {
    expect(statsOf(fixture)).toMatchObject({ packets: 2308, markers: 1039, payloadBytes: 2_160_147, payloadType: 96 });
  });
});
