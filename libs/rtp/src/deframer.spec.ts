import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunks, notOkCases, readOk, rfc4571Packets, toInterleaved, toRfc4571 } from '../../../test/fixtures/rtp/fixtures';
import { DeframeError } from './errors';
import { DEFAULT_MAX_PACKET_BYTES, FrameHandler, StreamDeframer } from './deframer';

const capture = readOk('zlm-tcp-ps-rtp.bin');
const packets = rfc4571Packets(capture);

/** Feeds chunks and records what comes out; fails the test if memory ever grows past one frame. */
function deframe(input: Buffer[], deframer = new StreamDeframer()) {
  const hash = createHash('sha256');
  const seqs: number[] = [];
  const channels = new Set<number>();
  let maxBuffered = 0;
  const onFrame: FrameHandler = (buf, start, end, channel) => {
    hash.update(buf.subarray(start, end));
    seqs.push(buf.readUInt16BE(start + 2));
    channels.add(channel);
  };
  let error: DeframeError | null = null;
  for (const chunk of input) {
    error = deframer.push(chunk, onFrame);
    maxBuffered = Math.max(maxBuffered, deframer.bufferedBytes);
    if (error) break;
  }
  return { deframer, error, seqs, channels, maxBuffered, sha: hash.digest('hex') };
}

const packetsSha = createHash('sha256').update(Buffer.concat(packets)).digest('hex');

describe('StreamDeframer', () => {
  it.each([
    ['one byte at a time', 1, 1],
    ['chunks of 1..7 bytes', 2, 7],
    ['chunks of 1..1500 bytes', 3, 1500],
    ['chunks of 1..64 KB', 4, 65536],
    ['the whole capture at once', 5, capture.length],
  ])('hands out all 2308 packets of the ZLMediaKit capture, %s', (_name, seed, maxChunk) => {
    const out = deframe(chunks(capture, seed, maxChunk));
    expect(out.error).toBeNull();
    expect(out.seqs).toEqual(packets.map((_, i) => i));
    expect(out.sha).toBe(packetsSha);
    expect(out.deframer.framing).toBe('rfc4571');
    expect(out.deframer.packets).toBe(2308);
    expect(out.deframer.bufferedBytes).toBe(0);
    expect(out.deframer.finish()).toBeNull();
  });

  it('reads the same packets from RFC 2326 interleaved framing and reports the channel', () => {
    const out = deframe(chunks(toInterleaved(packets, 2), 6, 900));
    expect(out.error).toBeNull();
    expect(out.deframer.framing).toBe('rfc2326');
    expect(out.sha).toBe(packetsSha);
    expect([...out.channels]).toEqual([2]);
  });

  it('hands out a packet that lies inside one chunk as a view of that chunk, not a copy', () => {
    const seen: Buffer[] = [];
    new StreamDeframer().push(capture, (buf) => seen.push(buf));
    expect(seen.every((b) => b === capture)).toBe(true);
  });

  it('keeps only the bytes of the one unfinished frame', () => {
    const deframer = new StreamDeframer();
    const frame = capture.subarray(0, 1402);
    expect(deframer.push(frame.subarray(0, 1), () => {})).toBeNull();
    expect(deframer.bufferedBytes).toBe(1);
    deframer.push(frame.subarray(1, 500), () => {});
    expect(deframer.bufferedBytes).toBe(498); // the 2-byte header is parsed, 498 packet bytes wait
    let got = 0;
    deframer.push(frame.subarray(500), (_b, start, end) => (got = end - start));
    expect(got).toBe(1400);
    expect(deframer.bufferedBytes).toBe(0);
  });

  it('never buffers more than one maximum-size frame, even fed one byte at a time', () => {
    const big = Buffer.alloc(DEFAULT_MAX_PACKET_BYTES, 7);
    big[0] = 0x80;
    const out = deframe(chunks(toRfc4571([big, big, packets[0]]), 7, 1));
    expect(out.error).toBeNull();
    expect(out.maxBuffered).toBeLessThanOrEqual(DEFAULT_MAX_PACKET_BYTES + 4);
    expect(out.seqs).toHaveLength(3);
  });

  it('accepts an 8-byte RTCP packet but not an 8-byte RTP packet', () => {
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
    expect(deframe([toRfc4571([packets[0], rr])]).error).toBeNull();
    const rtp = Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1]);
    expect(deframe([toRfc4571([packets[0], rtp])]).error?.code).toBe('too-short');
  });

  it('rejects frames above a configured maximum', () => {
    const small = packets.find((p) => p.length < 1000)!;
    const out = deframe([toRfc4571([small, packets[0]])], new StreamDeframer({ maxPacketBytes: 1000 }));
    expect(out.error?.code).toBe('too-long');
    expect(out.seqs).toEqual([small.readUInt16BE(2)]);
  });

  it('stays failed after an error and returns the same error for any later input', () => {
    const deframer = new StreamDeframer();
    const first = deframer.push(Buffer.from('GET / HTTP/1.1\r\n\r\n'), () => {});
    expect(first?.code).toBe('unknown-framing');
    let called = false;
    expect(deframer.push(capture, () => (called = true))).toBe(first);
    expect(called).toBe(false);
    expect(deframer.bufferedBytes).toBe(0);
  });

  describe('not-ok inputs', () => {
    it.each(notOkCases().map((c) => [c.file, c] as const))('%s gives its typed error', (_file, c) => {
      for (const maxChunk of [1, 3, c.bytes.length]) {
        const deframer = new StreamDeframer();
        const out = deframe(chunks(c.bytes, 11, maxChunk), deframer);
        const error = out.error ?? deframer.finish();
        expect(error).toBeInstanceOf(DeframeError);
        expect(error?.code).toBe(c.code);
        expect(error?.message).toContain(c.code);
      }
    });
  });
});
