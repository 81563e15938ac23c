import { describe, expect, it } from 'vitest';
import { PortMap, PortSet } from './port-set';

describe('PortSet', () => {
  it('answers like a Set<number>: membership, distinct size; iterates in port order', () => {
    const s = new PortSet().add(24002).add(0).add(65535).add(24002);
    expect([s.has(24002), s.has(0), s.has(65535), s.has(24003)]).toEqual([true, true, true, false]);
    expect(s.size).toBe(3);
    expect([...s]).toEqual([0, 24002, 65535]);
    const each: number[] = [];
    s.forEach((p) => each.push(p));
    expect(each).toEqual([0, 24002, 65535]);
  });

  it('holds no port outside 0-65535', () => {
    const s = new PortSet().add(-1).add(65536);
    expect([s.size, s.has(-1), s.has(65536)]).toEqual([0, false, false]);
  });
});

describe('PortMap', () => {
  it('maps each port to the item last set for it', () => {
    const m = new PortMap<string>().set(24000, 'a').set(24001, 'a').set(24000, 'b');
    expect([m.get(24000), m.get(24001), m.get(24002)]).toEqual(['b', 'a', undefined]);
    expect([m.has(24001), m.has(24002), m.has(70000)]).toEqual([true, false, false]);
  });
});
