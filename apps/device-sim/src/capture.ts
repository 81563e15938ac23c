import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A capture of a device's TCP byte stream, indexed frame by frame for pacing and rewriting. */
export interface Capture {
  path: string;
  bytes: Buffer;
  framing: 'rfc4571' | 'rfc2326';
  /** frame starts (the frame header) in `bytes`; one extra entry at the end = bytes.length */
  offsets: Uint32Array;
  /** bytes of the frame header before the RTP packet (2 or 4) */
  headerBytes: number;
  /** RTP sequence number and timestamp of each frame */
  seq: Uint16Array;
  timestamp: Uint32Array;
  ssrc: number;
  /** send time of each frame from the loop start, in RTP ticks (90 kHz), from the timestamps */
  dueTicks: Float64Array;
  /** one loop's length in ticks: the span plus one frame step */
  loopTicks: number;
  frames: number;
  /** average bit rate when paced at real time */
  naturalBps: number;
}

export const CLOCK_RATE = 90_000;
/** A timestamp step larger than this (or backwards) is a timeline jump, not a pause: it takes no time. */
const JUMP_TICKS = 3 * CLOCK_RATE;
const FIXTURES = 'test/fixtures/rtp/ok';
export const NAMED_CAPTURES: Record<string, string> = {
  zlm: 'zlm-tcp-ps-rtp.bin',
  g711: 'zlm-tcp-ps-rtp-g711.bin',
};

/** `zlm`, `g711` or a path; the named ones are the fixtures, found from the repository root. */
export function resolveCapture(name: string): string {
  const named = NAMED_CAPTURES[name];
  if (!named) return resolve(name);
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, FIXTURES, named);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`fixture ${named} not found above ${__dirname}`);
  }
}

export function loadCapture(path: string): Capture {
  const bytes = readFileSync(path);
  if (bytes.length < 14) throw new Error(`${path}: too short to hold an RTP frame`);
  const framing = bytes[0] === 0x24 ? 'rfc2326' : 'rfc4571';
  const headerBytes = framing === 'rfc2326' ? 4 : 2;
  const starts: number[] = [];
  for (let pos = 0; pos + headerBytes <= bytes.length;) {
    const len = bytes.readUInt16BE(pos + headerBytes - 2);
    if (len < 12 || pos + headerBytes + len > bytes.length) break;
    starts.push(pos);
    pos += headerBytes + len;
  }
  const frames = starts.length;
  if (frames === 0) throw new Error(`${path}: no ${framing} frame found`);
  const offsets = new Uint32Array(frames + 1);
  const seq = new Uint16Array(frames);
  const timestamp = new Uint32Array(frames);
  const dueTicks = new Float64Array(frames);
  let ssrc = 0;
  let ticks = 0;
  let step = 0;
  for (let i = 0; i < frames; i++) {
    const rtp = starts[i] + headerBytes;
    offsets[i] = starts[i];
    seq[i] = bytes.readUInt16BE(rtp + 2);
    timestamp[i] = bytes.readUInt32BE(rtp + 4);
    if (i === 0) ssrc = bytes.readUInt32BE(rtp + 8);
    if (i > 0) {
      const delta = (timestamp[i] - timestamp[i - 1]) | 0;
      if (delta > 0 && delta <= JUMP_TICKS) {
        ticks += delta;
        step ||= delta;
      }
    }
    dueTicks[i] = ticks;
  }
  const last = starts[frames - 1];
  offsets[frames] = last + headerBytes + bytes.readUInt16BE(last + headerBytes - 2);
  const loopTicks = ticks + (step || 3600);
  const used = offsets[frames];
  return {
    path,
    bytes: bytes.subarray(0, used),
    framing,
    offsets,
    headerBytes,
    seq,
    timestamp,
    ssrc,
    dueTicks,
    loopTicks,
    frames,
    naturalBps: (used * 8 * CLOCK_RATE) / loopTicks,
  };
}

/**
 * The bytes of frames [from, to) of loop `loop`, ready to send. Loop 0 without rewriting is
 * the capture itself (no copy); otherwise a copy with sequence numbers, timestamps and SSRC
 * rewritten so the stream continues seamlessly, loop after loop.
 */
export function framesFor(c: Capture, from: number, to: number, loop: number, ssrc: number | null, framing: 'rfc4571' | 'rfc2326'): Buffer {
  const same = framing === c.framing;
  const slice = c.bytes.subarray(c.offsets[from], c.offsets[to]);
  if (loop === 0 && ssrc === null && same) return slice;
  const outHeader = framing === 'rfc2326' ? 4 : 2;
  const out = same ? Buffer.from(slice) : Buffer.allocUnsafe(slice.length + (to - from) * (outHeader - c.headerBytes));
  const seqAdd = (loop * c.frames) & 0xffff;
  const tsAdd = (loop * c.loopTicks) >>> 0;
  let at = 0;
  for (let i = from; i < to; i++) {
    const rtpLen = c.offsets[i + 1] - c.offsets[i] - c.headerBytes;
    if (!same) {
      if (framing === 'rfc2326') {
        out[at] = 0x24;
        out[at + 1] = 0;
      }
      out.writeUInt16BE(rtpLen, at + outHeader - 2);
      c.bytes.copy(out, at + outHeader, c.offsets[i] + c.headerBytes, c.offsets[i + 1]);
    }
    const rtp = at + outHeader;
    if (loop !== 0) {
      out.writeUInt16BE((c.seq[i] + seqAdd) & 0xffff, rtp + 2);
      out.writeUInt32BE((c.timestamp[i] + tsAdd) >>> 0, rtp + 4);
    }
    if (ssrc !== null) out.writeUInt32BE(ssrc >>> 0, rtp + 8);
    at += outHeader + rtpLen;
  }
  return out;
}
