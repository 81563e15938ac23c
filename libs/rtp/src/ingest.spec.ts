import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunks, prng, readOk, rfc4571Packets, toInterleaved, toRfc4571 } from '../../../test/fixtures/rtp/fixtures';
import { DeframeError } from './errors';
import { RtpIngest, RtpIngestOptions } from './ingest';
import { KeyframeGate, PsPayloadInfo, PsSink } from './ps-sink';

const capture = readOk('zlm-tcp-ps-rtp.bin');
const packets = rfc4571Packets(capture);
const EXTRACTED_SHA = '8168f03e20ca7bff7741da8684babc737be13e800db1854507ff9a53bdf3ef8c';

/** A sink that hashes what it is given and keeps the per-payload facts a test asks about. */
class RecordingSink implements PsSink {
  readonly hash = createHash('sha256');
  readonly seqs: number[] = [];
  readonly ssrcs = new Set<number>();
  readonly infos: PsPayloadInfo[] = [];
  markers = 0;

  write(buf: Buffer, start: number, end: number, info: Readonly<PsPayloadInfo>): void {
    this.hash.update(buf.subarray(start, end));
    this.seqs.push(info.sequence);
    this.ssrcs.add(info.ssrc);
    if (info.marker) this.markers++;
    if (info.packStart || info.keyframe || info.discontinuity) this.infos.push({ ...info });
  }
}

function run(input: Buffer[], options?: RtpIngestOptions) {
  const ingest = new RtpIngest(options);
  const sink = new RecordingSink();
  ingest.addSink(sink);
  let error: DeframeError | null = null;
  for (let i = 0; i < input.length && error === null; i++) error = ingest.push(input[i], i);
  return { ingest, sink, error, snapshot: ingest.snapshot() };
}

function expectMainCapture({ sink, error, snapshot }: ReturnType<typeof run>, framing: string) {
  expect(error).toBeNull();
  expect(snapshot).toMatchObject({ framing, rtpPackets: 2308, primarySsrc: 123456789, bufferedBytes: 0 });
  expect(sink.seqs).toEqual(packets.map((_, i) => i));
  expect([...sink.ssrcs]).toEqual([123456789]);
  expect(sink.markers).toBe(1039);
  expect(sink.hash.digest('hex')).toBe(EXTRACTED_SHA);
  expect(snapshot.streams).toHaveLength(1);
  expect(snapshot.streams[0]).toMatchObject({ payloadType: 96, packets: 2308, markers: 1039, lost: 0, reordered: 0, duplicates: 0 });
  expect(snapshot.ps).toMatchObject({ videoCodec: 'h264', audioCodec: 'aac', videoFrames: 382, audioFrames: 657, keyframes: 8 });
}

describe('RtpIngest', () => {
  it.each([
    ['one byte at a time', 1, 1],
    ['chunks of 1..64 bytes', 2, 64],
    ['chunks of 1..1460 bytes', 3, 1460],
    ['chunks of 1..64 KB', 4, 65536],
  ])('turns the ZLMediaKit capture, %s, into the extracted PS byte for byte', (_name, seed, max) => {
    expectMainCapture(run(chunks(capture, seed, max)), 'rfc4571');
  });

  it('gives identical results when each packet comes alone, as a UDP datagram (pushPacket: no framing)', () => {
    const ingest = new RtpIngest();
    const sink = new RecordingSink();
    ingest.addSink(sink);
    // each packet at an offset inside a larger buffer: the packet is read in place, never copied
    packets.forEach((p, i) => {
      const padded = Buffer.concat([Buffer.alloc(3), p, Buffer.alloc(5)]);
      ingest.pushPacket(padded, 3, 3 + p.length, i);
    });
    expectMainCapture({ ingest, sink, error: null, snapshot: ingest.snapshot() }, null as unknown as string);
  });

  it('gives identical results when the capture is re-framed as RFC 2326 interleaved', () => {
    expectMainCapture(run(chunks(toInterleaved(packets), 5, 1460)), 'rfc2326');
  });

  it('reads the G.711 capture: 1291 packets, H.264 + G.711 A-law, 291 video and 91 audio frames', () => {
    const { snapshot, error } = run(chunks(readOk('zlm-tcp-ps-rtp-g711.bin'), 6, 1460));
    expect(error).toBeNull();
    expect(snapshot.rtpPackets).toBe(1291);
    expect(snapshot.streams[0]).toMatchObject({ ssrc: 123456790, expected: 1291, lost: 0, timestampJumps: 1 });
    expect(snapshot.ps).toMatchObject({ videoCodec: 'h264', audioCodec: 'g711a', videoFrames: 291, audioFrames: 91 });
  });

  it('marks every pack start for the sinks, and the 8 keyframes on pack starts', () => {
    const { sink } = run([capture]);
    expect(sink.infos.filter((i) => i.packStart)).toHaveLength(1039);
    const keyframes = sink.infos.filter((i) => i.keyframe);
    expect(keyframes).toHaveLength(8);
    expect(keyframes.every((i) => i.packStart)).toBe(true);
  });

  it('lets a client that joins mid-stream start at a keyframe pack', () => {
    const ingest = new RtpIngest();
    ingest.push(capture.subarray(0, 1_000_000), 0);
    const out: Buffer[] = [];
    ingest.addSink(new KeyframeGate({ write: (b, s, e) => out.push(Buffer.from(b.subarray(s, e))) }));
    ingest.push(capture.subarray(1_000_000), 1);
    const ps = Buffer.concat(out);
    expect(ps.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0xba]));
    expect(ps.subarray(14, 18)).toEqual(Buffer.from([0, 0, 1, 0xbb])); // system header: an IDR pack
    expect(ps.length).toBeGreaterThan(100_000);
    expect(readOk('zlm-extracted.ps').subarray(-ps.length).equals(ps)).toBe(true);
  });

  it('counts RTCP on the same connection and never passes it on as media', () => {
    const rr = Buffer.from([0x81, 201, 0, 7, ...Buffer.alloc(28)]);
    const mixed = Buffer.concat(packets.map((p, i) => (i % 100 === 0 ? toInterleaved([rr], 1) : toInterleaved([p], 0))));
    const { sink, snapshot } = run([mixed]);
    expect(snapshot.rtcpPackets).toBe(24);
    expect(snapshot.rtpPackets).toBe(2308 - 24);
    expect(sink.seqs).not.toContain(0);
  });

  it('asks the SSRC filter once per SSRC and drops what it rejects', () => {
    const asked: number[] = [];
    const { sink, snapshot } = run([capture], { acceptSsrc: (ssrc) => (asked.push(ssrc), false) });
    expect(asked).toEqual([123456789]);
    expect(snapshot).toMatchObject({ rejectedPackets: 2308, primarySsrc: null, streams: [] });
    expect(sink.seqs).toHaveLength(0);
  });

  it('keeps statistics for a second SSRC but feeds the sinks from the first only', () => {
    const other = packets.slice(0, 50).map((p) => {
      const c = Buffer.from(p);
      c.writeUInt32BE(42, 8);
      return c;
    });
    const mixed = packets.slice(0, 100).flatMap((p, i) => (i < 50 ? [p, other[i]] : [p]));
    const { sink, snapshot } = run([toRfc4571(mixed)]);
    expect(snapshot.streams.map((s) => [s.ssrc, s.received])).toEqual([
      [123456789, 100],
      [42, 50],
    ]);
    expect(sink.seqs).toHaveLength(100);
  });

  it('tells sinks about lost packets and keeps late ones out of the byte stream', () => {
    const edited = [...packets.slice(0, 10), ...packets.slice(11, 20), packets[10], ...packets.slice(20)];
    const { sink, snapshot } = run([toRfc4571(edited)]);
    expect(sink.seqs).not.toContain(10);
    expect(sink.infos.filter((i) => i.discontinuity).map((i) => i.sequence)).toEqual([11]);
    expect(snapshot.streams[0]).toMatchObject({ lost: 0, reordered: 1 });
    expect(snapshot.ps?.discontinuities).toBe(1);
  });

  it('reports a stream it cannot read as an error to close the connection on', () => {
    const { error, snapshot } = run([Buffer.from('GET /stream HTTP/1.1\r\n\r\n')]);
    expect(error?.code).toBe('unknown-framing');
    expect(snapshot.error?.code).toBe('unknown-framing');
  });

  it('survives 10,000 random and mutated inputs: only DeframeErrors, memory bounded', () => {
    const random = prng(2024);
    const maxPacketBytes = 2048;
    const good4571 = capture.subarray(0, 4000);
    const good2326 = toInterleaved(packets.slice(0, 3), 1);
    let maxBuffered = 0;
    let others = 0;
    for (let i = 0; i < 10_000; i++) {
      const kind = i % 4;
      const input = kind === 0 ? randomBytes(random, 1 + Math.floor(random() * 1500)) : mutate(random, kind === 1 ? good2326 : good4571);
      const ingest = new RtpIngest({ maxPacketBytes, maxChannel: Math.floor(random() * 4) });
      try {
        for (const chunk of chunks(input, i, 1 + Math.floor(random() * 700))) {
          const result = ingest.push(chunk, i);
          if (result !== null && !(result instanceof DeframeError)) others++;
          maxBuffered = Math.max(maxBuffered, ingest.bufferedBytes);
        }
        ingest.finish();
        ingest.snapshot();
      } catch {
        others++;
      }
    }
    expect(others).toBe(0);
    expect(maxBuffered).toBeLessThanOrEqual(maxPacketBytes + 4);
  });
});

function randomBytes(random: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/** A prefix of a good stream with a few bytes flipped, deleted or inserted. */
function mutate(random: () => number, good: Buffer): Buffer {
  let out = Buffer.from(good.subarray(0, 1 + Math.floor(random() * good.length)));
  for (let e = 1 + Math.floor(random() * 4); e > 0 && out.length > 0; e--) {
    const at = Math.floor(random() * out.length);
    const kind = random();
    if (kind < 0.5) out[at] = Math.floor(random() * 256);
    else if (kind < 0.75) out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
    else out = Buffer.concat([out.subarray(0, at), randomBytes(random, 1 + Math.floor(random() * 8)), out.subarray(at)]);
  }
  return out;
}

describe('RtpIngest packet hook (what a forwarder is fed)', () => {
  it('sees every packet of the primary SSRC, whole and in arrival order, saying which ones live in a reused buffer', () => {
    const seen: Buffer[] = [];
    let reusedCount = 0;
    const foreign = Buffer.from(packets[5]);
    foreign.writeUInt32BE(42, 8);
    const input = toInterleaved([...packets.slice(0, 5), foreign, ...packets.slice(5)]);
    const { sink, error } = run(chunks(input, 9, 900), {
      onPacket: (buf, start, end, reused) => {
        if (reused) reusedCount++;
        seen.push(Buffer.from(buf.subarray(start, end)));
      },
    });
    expect(error).toBeNull();
    expect(seen).toHaveLength(packets.length);
    expect(seen.every((p, i) => p.equals(packets[i]))).toBe(true);
    expect(reusedCount).toBeGreaterThan(0);
    // The hook runs before the sinks, which still get the whole PS.
    expect(sink.hash.digest('hex')).toBe(EXTRACTED_SHA);
  });

  it('may rewrite the SSRC in place without changing what the probe and sinks get', () => {
    const { sink, snapshot } = run(chunks(capture, 10, 3000), { onPacket: (buf, start) => buf.writeUInt32BE(7, start + 8) });
    expect(sink.hash.digest('hex')).toBe(EXTRACTED_SHA);
    expect(snapshot).toMatchObject({ rtpPackets: 2308, primarySsrc: 123456789 });
  });
});
