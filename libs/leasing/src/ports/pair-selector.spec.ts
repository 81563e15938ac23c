import { describe, expect, it } from 'vitest';
import { PairSelector } from './pair-selector';

describe('PairSelector', () => {
  it('makes pairs of an even RTP port and the next odd RTCP port', () => {
    expect(new PairSelector(30000, 30009).pairs).toEqual([30000, 30002, 30004, 30006, 30008]);
  });

  it('skips an odd first port and a lone even last port at the range edges', () => {
    expect(new PairSelector(30001, 30010).pairs).toEqual([30002, 30004, 30006, 30008]);
  });

  it('serves a range of exactly one pair, then nothing', () => {
    const s = new PairSelector(40000, 40001);
    expect(s.take()).toBe(40000);
    expect(s.take()).toBeNull();
  });

  it('has no pair in a range of one port', () => {
    expect(new PairSelector(40000, 40000).take()).toBeNull();
  });

  it('hands out never-used pairs first, lowest port first', () => {
    const s = new PairSelector(100, 109, new Map([[100, 5]]));
    expect([s.take(), s.take(), s.take(), s.take(), s.take()]).toEqual([102, 104, 106, 108, 100]);
  });

  it('hands out the pair released longest ago first', () => {
    const s = new PairSelector(100, 105);
    const [a, b, c] = [s.take()!, s.take()!, s.take()!];
    s.giveBack(b);
    s.giveBack(c);
    s.giveBack(a);
    expect([s.take(), s.take(), s.take()]).toEqual([b, c, a]);
  });

  it('orders by the last release time it is given at load', () => {
    const s = new PairSelector(
      100,
      105,
      new Map([
        [100, 30],
        [102, 10],
        [104, 20],
      ]),
    );
    expect(s.freeInOrder()).toEqual([102, 104, 100]);
  });

  it('never hands out a taken or quarantined pair', () => {
    const s = new PairSelector(100, 107, new Map(), [102], [104]);
    expect([s.take(), s.take(), s.take()]).toEqual([100, 106, null]);
    expect(s.counts()).toEqual({ pairs: 4, free: 0, leased: 3, quarantined: 1 });
  });

  it('keeps a pair quarantined when its lease ends, and frees it when cleared', () => {
    const s = new PairSelector(100, 103);
    const p = s.take()!;
    s.quarantine(p);
    s.giveBack(p);
    expect(s.statusOf(p)).toBe('quarantined');
    s.unquarantine(p);
    expect(s.statusOf(p)).toBe('free');
  });

  it('maps an RTCP port to its pair and rejects ports outside the range', () => {
    const s = new PairSelector(100, 109);
    expect(s.rtpPortOf(105)).toBe(104);
    expect(s.rtpPortOf(110)).toBeNull();
    expect(s.rtpPortOf(99)).toBeNull();
  });

  it('takes a named free pair once', () => {
    const s = new PairSelector(100, 105);
    expect(s.takeSpecific(102)).toBe(true);
    expect(s.takeSpecific(102)).toBe(false);
    expect(s.takeSpecific(103)).toBe(false);
  });

  it('ignores giving back a pair twice', () => {
    const s = new PairSelector(100, 103);
    const a = s.take()!;
    const b = s.take()!;
    s.giveBack(a);
    s.giveBack(a);
    expect(s.counts().free).toBe(1);
    s.giveBack(b);
    expect(s.freeInOrder()).toEqual([a, b]);
  });
});
