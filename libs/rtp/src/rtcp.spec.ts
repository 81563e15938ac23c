import { describe, expect, it } from 'vitest';
import { isRtcp, RtcpCounters } from './rtcp';

function rtcp(type: number, words: number): Buffer {
  const b = Buffer.alloc((words + 1) * 4);
  b[0] = 0x80;
  b[1] = type;
  b.writeUInt16BE(words, 2);
  return b;
}

describe('RTCP recognition', () => {
  it.each([200, 201, 202, 203, 204])('recognises packet type %i', (type) => {
    expect(isRtcp(rtcp(type, 1), 0)).toBe(true);
  });

  it.each([
    ['PS over RTP (PT 96)', 96],
    ['PT 96 with the marker bit', 0x80 | 96],
    ['PT 8 (PCMA)', 8],
    ['type 199', 199],
    ['type 205', 205],
  ])('does not take %s for RTCP', (_name, second) => {
    expect(isRtcp(Buffer.from([0x80, second, 0, 0]), 0)).toBe(false);
  });

  it('counts each part of a compound packet: SR + SDES + BYE', () => {
    const counters = new RtcpCounters();
    const compound = Buffer.concat([rtcp(200, 6), rtcp(202, 2), rtcp(203, 1)]);
    counters.count(compound, 0, compound.length);
    expect(counters).toMatchObject({ packets: 3, senderReports: 1, byes: 1, other: 1, malformed: 0 });
  });

  it('counts a compound packet whose lengths do not add up as malformed', () => {
    const counters = new RtcpCounters();
    const broken = Buffer.concat([rtcp(201, 1), Buffer.from([0x80, 202, 0, 9])]);
    counters.count(broken, 0, broken.length);
    expect(counters).toMatchObject({ packets: 1, receiverReports: 1, malformed: 1 });
  });
});
