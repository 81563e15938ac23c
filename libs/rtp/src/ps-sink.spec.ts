import { describe, expect, it } from 'vitest';
import { findPackStart, isPackStart, KeyframeGate, PsPayloadInfo, PsSink } from './ps-sink';

const pack = Buffer.from([0, 0, 1, 0xba, 0x44]);
const info = (over: Partial<PsPayloadInfo>): PsPayloadInfo => ({
  ssrc: 1,
  sequence: 0,
  timestamp: 0,
  marker: false,
  packStart: false,
  keyframe: false,
  discontinuity: false,
  ...over,
});

describe('pack boundaries', () => {
  it('sees a payload that starts with 00 00 01 BA as a pack start', () => {
    expect(isPackStart(pack, 0, pack.length)).toBe(true);
    expect(isPackStart(Buffer.from([0, 0, 1, 0xe0]), 0, 4)).toBe(false);
    expect(isPackStart(pack, 0, 3)).toBe(false);
  });

  it('finds the next pack start inside a range, or -1', () => {
    const buf = Buffer.concat([Buffer.from([0xba, 0, 1, 0xba, 9, 0, 0]), pack, Buffer.from([0, 0, 1])]);
    expect(findPackStart(buf, 0, buf.length)).toBe(7);
    expect(findPackStart(buf, 0, 10)).toBe(-1);
    expect(findPackStart(buf, 8, buf.length)).toBe(-1);
  });
});

describe('KeyframeGate', () => {
  function collect(waitForKeyframe: boolean) {
    const got: number[] = [];
    const sink: PsSink = { write: (_b, _s, _e, i) => got.push(i.sequence) };
    return { gate: new KeyframeGate(sink, waitForKeyframe), got };
  }

  it('lets a late joiner start at the next keyframe pack', () => {
    const { gate, got } = collect(true);
    gate.write(pack, 0, 5, info({ sequence: 1, packStart: true }));
    gate.write(pack, 0, 5, info({ sequence: 2 }));
    gate.write(pack, 0, 5, info({ sequence: 3, packStart: true, keyframe: true }));
    gate.write(pack, 0, 5, info({ sequence: 4 }));
    expect(got).toEqual([3, 4]);
  });

  it('can start at any pack boundary instead', () => {
    const { gate, got } = collect(false);
    gate.write(pack, 0, 5, info({ sequence: 1 }));
    gate.write(pack, 0, 5, info({ sequence: 2, packStart: true }));
    expect(got).toEqual([2]);
  });

  it('closes after a discontinuity until the next keyframe pack', () => {
    const { gate, got } = collect(true);
    gate.write(pack, 0, 5, info({ sequence: 1, packStart: true, keyframe: true }));
    gate.write(pack, 0, 5, info({ sequence: 5, packStart: true, discontinuity: true }));
    gate.write(pack, 0, 5, info({ sequence: 6, packStart: true, keyframe: true }));
    expect(got).toEqual([1, 6]);
  });
});
