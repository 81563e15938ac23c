import { describe, expect, it } from 'vitest';
import { chunks, payloadsOf, prng, psUnits, readOk } from '../../../test/fixtures/rtp/fixtures';
import { PsProbe } from './ps-probe';
import { audioCodecOf, StreamType, videoCodecOf } from './ps-stream-types';

const mainPs = readOk('zlm-extracted.ps');
const g711Ps = payloadsOf(readOk('zlm-tcp-ps-rtp-g711.bin'));

function probe(input: Buffer[]): PsProbe {
  const p = new PsProbe();
  for (const c of input) p.push(c, 0, c.length);
  return p;
}

const MAIN = { videoCodec: 'h264', audioCodec: 'aac', packs: 1039, videoFrames: 382, audioFrames: 657, keyframes: 8, junkBytes: 0 };

/** A PES header: stream id, length (0 = unbounded), optional 33-bit PTS. */
function pes(id: number, payload: Buffer, pts?: number, unbounded = false): Buffer {
  const opt = pts === undefined ? Buffer.from([0x80, 0x00, 0x00]) : Buffer.concat([Buffer.from([0x80, 0x80, 5]), ptsBytes(pts)]);
  const head = Buffer.from([0, 0, 1, id, 0, 0]);
  if (!unbounded) head.writeUInt16BE(opt.length + payload.length, 4);
  return Buffer.concat([head, opt, payload]);
}

function ptsBytes(pts: number): Buffer {
  const high = Math.floor(pts / 2 ** 30) & 7;
  const low = pts % 2 ** 30;
  return Buffer.from([0x21 | (high << 1), low >>> 22, ((low >>> 14) & 0xfe) | 1, (low >>> 7) & 0xff, ((low << 1) & 0xfe) | 1]);
}

const PACK = Buffer.from([0, 0, 1, 0xba, 0x44, 0, 4, 0, 4, 1, 0, 0x5f, 0x6b, 0xf8]);
const SYSTEM_HEADER = Buffer.from([0, 0, 1, 0xbb, 0, 6, 0x80, 0, 1, 0x04, 0xe1, 0xff]);

/** A PSM naming the given (stream type, stream id) pairs. */
function psm(entries: [number, number][]): Buffer {
  const map = Buffer.concat(entries.map(([type, id]) => Buffer.from([type, id, 0, 0])));
  const body = Buffer.concat([Buffer.from([0xe0, 0xff, 0, 0]), Buffer.from([map.length >> 8, map.length & 0xff]), map, Buffer.alloc(4)]);
  return Buffer.concat([Buffer.from([0, 0, 1, 0xbc, body.length >> 8, body.length & 0xff]), body]);
}

const nal = (...header: number[]) => Buffer.from([0, 0, 0, 1, ...header, 0x11, 0x22, 0x33]);

describe('PsProbe on the ZLMediaKit program stream', () => {
  it.each([
    ['fed whole', 1, mainPs.length],
    ['in chunks of 1..3 bytes', 2, 3],
    ['in chunks of 1..20 bytes', 3, 20],
    ['in chunks of 1..1400 bytes', 4, 1400],
  ])('finds H.264 + AAC, 382 video frames, 657 audio frames, 8 keyframes %s', (_n, seed, max) => {
    expect(probe(chunks(mainPs, seed, max))).toMatchObject(MAIN);
  });

  it('reads the PSM stream types and the last PTS/DTS', () => {
    const p = probe([mainPs]);
    expect(p).toMatchObject({ videoStreamType: 0x1b, audioStreamType: 0x0f, systemHeaders: 38, psms: 38, psmVideoPacks: 19 });
    expect(p.lastVideoDts).toBeLessThan(p.lastVideoPts); // B-frames: the last frame decodes before it shows
  });

  it('finds H.264 + G.711 A-law, 291 video frames and 91 audio frames in the G.711 capture', () => {
    expect(probe(chunks(g711Ps, 5, 1400))).toMatchObject({
      videoCodec: 'h264',
      audioCodec: 'g711a',
      audioStreamType: 0x90,
      videoFrames: 291,
      audioFrames: 91,
      junkBytes: 0,
    });
  });

  it('counts a length-0 video PES once, running to the next start code', () => {
    const rewritten = Buffer.concat(
      psUnits(mainPs).map((u) => {
        if (u.id !== 0xe0) return u.bytes;
        const b = Buffer.from(u.bytes);
        b.writeUInt16BE(0, 4);
        return b;
      }),
    );
    expect(probe(chunks(rewritten, 6, 1400))).toMatchObject(MAIN);
  });

  it('counts a frame split into two PES packets (the second without PTS) once', () => {
    const split = Buffer.concat(
      psUnits(mainPs).flatMap((u) => {
        if (u.id !== 0xe0) return [u.bytes];
        const headerEnd = 9 + u.bytes[8];
        const half = headerEnd + Math.floor((u.bytes.length - headerEnd) / 2);
        const first = Buffer.from(u.bytes.subarray(0, half));
        first.writeUInt16BE(half - 6, 4);
        return [first, pes(0xe0, u.bytes.subarray(half))];
      }),
    );
    expect(probe(chunks(split, 7, 1400))).toMatchObject(MAIN);
  });

  it('resynchronises at the next start code after lost bytes', () => {
    const p = new PsProbe();
    p.push(mainPs, 0, 500_000);
    p.discontinuity();
    p.push(mainPs, 510_000, mainPs.length);
    expect(p.discontinuities).toBe(1);
    expect(p.junkBytes).toBeGreaterThan(0);
    expect(p.packs).toBeGreaterThan(1039 - 10);
    expect(p.videoFrames).toBeGreaterThan(382 - 5);
  });

  it('never throws on mutated or random input', () => {
    const random = prng(99);
    for (let i = 0; i < 2000; i++) {
      const start = Math.floor(random() * (mainPs.length - 4000));
      const input = Buffer.from(mainPs.subarray(start, start + 1 + Math.floor(random() * 4000)));
      for (let k = 0; k < 4; k++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
      expect(() => probe(chunks(input, i, 300))).not.toThrow();
    }
  });
});

describe('PsProbe on hand-built streams', () => {
  it('reads H.265 + G.711 μ-law from the PSM and takes an IDR (NAL 19) for a keyframe', () => {
    const ps = Buffer.concat([
      PACK,
      SYSTEM_HEADER,
      psm([
        [0x24, 0xe0],
        [0x91, 0xc0],
      ]),
      pes(0xe0, Buffer.concat([nal(0x40, 0x01), nal(0x26, 0x01)]), 3600),
      PACK,
      pes(0xe0, nal(0x02, 0x01), 7200),
      PACK,
      pes(0xc0, Buffer.alloc(160, 0xd5), 7200),
    ]);
    expect(probe(chunks(ps, 8, 5))).toMatchObject({
      videoCodec: 'h265',
      audioCodec: 'g711u',
      videoFrames: 2,
      audioFrames: 1,
      keyframes: 1,
      junkBytes: 0,
    });
  });

  it('for SVAC video counts a pack with system header + PSM before video as a keyframe', () => {
    const ps = Buffer.concat([
      PACK,
      SYSTEM_HEADER,
      psm([
        [0x80, 0xe0],
        [0x9b, 0xc0],
      ]),
      pes(0xe0, Buffer.alloc(50, 7), 3600),
      PACK,
      pes(0xe0, Buffer.alloc(50, 7), 7200),
    ]);
    expect(probe([ps])).toMatchObject({ videoCodec: 'svac', audioCodec: 'svac', videoFrames: 2, keyframes: 1 });
  });

  it('skips padding and private streams without counting them as frames', () => {
    const ps = Buffer.concat([PACK, pes(0xbd, Buffer.alloc(30), 100), Buffer.from([0, 0, 1, 0xbe, 0, 4, 0xff, 0xff, 0xff, 0xff]), PACK]);
    expect(probe([ps])).toMatchObject({ packs: 2, videoFrames: 0, audioFrames: 0, junkBytes: 0 });
  });

  it('reads a 33-bit PTS', () => {
    const p = probe([Buffer.concat([PACK, pes(0xc0, Buffer.alloc(8), 2 ** 33 - 1)])]);
    expect(p.lastAudioPts).toBe(2 ** 33 - 1);
  });
});

describe('PSM stream types (GB28181 / ireader media-server mpeg-proto.h)', () => {
  it.each([
    [StreamType.h264, 'h264'],
    [StreamType.h265, 'h265'],
    [StreamType.mpeg4, 'mpeg4'],
    [StreamType.svacVideo, 'svac'],
  ])('video stream type %i is %s', (type, codec) => {
    expect(videoCodecOf(type)).toBe(codec);
  });

  it.each([
    [StreamType.aac, 'aac'],
    [StreamType.g711a, 'g711a'],
    [StreamType.g711u, 'g711u'],
    [StreamType.g722, 'g722'],
    [StreamType.g723, 'g723'],
    [StreamType.g729, 'g729'],
    [StreamType.svacAudio, 'svac'],
  ])('audio stream type %i is %s', (type, codec) => {
    expect(audioCodecOf(type)).toBe(codec);
  });

  it('knows no codec for other types', () => {
    expect([videoCodecOf(0x02), audioCodecOf(0x03)]).toEqual([null, null]);
  });
});
