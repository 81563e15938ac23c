import { describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, rtpPacket } from '../../../test/fixtures/rtp/fixtures';
import { parseRtp, RtpHeader, RtpParse } from './rtp-header';

const first = rfc4571Packets(readOk('zlm-tcp-ps-rtp.bin'))[0];

function parse(packet: Buffer) {
  const h = new RtpHeader();
  return { result: parseRtp(packet, 0, packet.length, h), h };
}

describe('parseRtp', () => {
  it('reads the first ZLMediaKit packet: V2, PT 96, seq 0, ts 903510, SSRC 123456789', () => {
    const { result, h } = parse(first);
    expect(result).toBe(RtpParse.ok);
    expect(h).toMatchObject({
      version: 2,
      padding: false,
      extension: false,
      csrcCount: 0,
      marker: false,
      payloadType: 96,
      sequence: 0,
      timestamp: 903510,
      ssrc: 123456789,
      payloadStart: 12,
      payloadEnd: first.length,
    });
    expect(first.subarray(h.payloadStart, h.payloadStart + 4)).toEqual(Buffer.from([0, 0, 1, 0xba]));
  });

  it('reads the marker bit and full 32-bit timestamp and SSRC values', () => {
    const { h } = parse(rtpPacket({ seq: 65535, timestamp: 0xfffffffe, ssrc: 0xdeadbeef, marker: true, payloadType: 8 }));
    expect(h).toMatchObject({ marker: true, payloadType: 8, sequence: 65535, timestamp: 0xfffffffe, ssrc: 0xdeadbeef });
  });

  it('skips the CSRC list', () => {
    const payload = Buffer.from('payload');
    const { result, h } = parse(rtpPacket({ seq: 1, csrcs: [1, 2, 3], payload }));
    expect(result).toBe(RtpParse.ok);
    expect(h.csrcCount).toBe(3);
    expect(h.payloadStart).toBe(12 + 12);
    expect(h.payloadLength).toBe(payload.length);
  });

  it('skips the header extension and reports where its data is', () => {
    const packet = rtpPacket({ seq: 1, csrcs: [9], extension: { profile: 0xbede, data: Buffer.alloc(8, 1) }, payload: Buffer.from('xy') });
    const { result, h } = parse(packet);
    expect(result).toBe(RtpParse.ok);
    expect(h.extensionProfile).toBe(0xbede);
    expect([h.extensionStart, h.extensionEnd]).toEqual([16 + 4, 16 + 4 + 8]);
    expect(packet.subarray(h.payloadStart, h.payloadEnd).toString()).toBe('xy');
  });

  it('removes padding from the payload', () => {
    const { result, h } = parse(rtpPacket({ seq: 1, payload: Buffer.from('abc'), padding: 5 }));
    expect(result).toBe(RtpParse.ok);
    expect(h.paddingLength).toBe(5);
    expect(h.payloadLength).toBe(3);
  });

  it('parses a packet in the middle of a larger buffer by offsets', () => {
    const packet = rtpPacket({ seq: 7, payload: Buffer.from('mid') });
    const buf = Buffer.concat([Buffer.from('junk'), packet, Buffer.from('tail')]);
    const h = new RtpHeader();
    expect(parseRtp(buf, 4, 4 + packet.length, h)).toBe(RtpParse.ok);
    expect(buf.subarray(h.payloadStart, h.payloadEnd).toString()).toBe('mid');
  });

  it.each([
    ['fewer than 12 bytes', first.subarray(0, 11), RtpParse.tooShort],
    ['version 1', Buffer.concat([Buffer.from([0x40]), first.subarray(1)]), RtpParse.badVersion],
    ['a CSRC count beyond the packet', rtpPacket({ seq: 1, csrcs: [1, 2] }).subarray(0, 16), RtpParse.badCsrc],
    ['an extension header cut short', Buffer.concat([Buffer.from([0x90]), first.subarray(1, 14)]), RtpParse.badExtension],
    [
      'an extension longer than the packet',
      rtpPacket({ seq: 1, extension: { profile: 1, data: Buffer.alloc(8) } }).subarray(0, 20),
      RtpParse.badExtension,
    ],
    ['a padding count of 0', Buffer.concat([Buffer.from([0xa0]), first.subarray(1, 20), Buffer.from([0])]), RtpParse.badPadding],
    ['padding longer than the payload', Buffer.concat([Buffer.from([0xa0]), first.subarray(1, 14), Buffer.from([9])]), RtpParse.badPadding],
  ])('rejects %s', (_name, packet, expected) => {
    expect(parse(packet).result).toBe(expected);
  });
});
