import { describe, expect, it } from 'vitest';
import { EndedLeases } from './ended-leases';

describe('EndedLeases', () => {
  it('refuses a lease from the start of its release, and for a minute after it ended', () => {
    let now = 1_000_000;
    const m = new EndedLeases(() => now);
    expect(m.refuses('a')).toBe(false);
    m.begin('a');
    expect(m.isEnding('a')).toBe(true);
    expect(m.refuses('a')).toBe(true);
    m.settle('a');
    expect(m.isEnding('a')).toBe(false);
    expect(m.refuses('a')).toBe(true);
    now += 60_001;
    expect(m.refuses('a')).toBe(false);
    expect(m.size).toBe(0);
  });

  it('never remembers a lease whose release did not close it (the reconciler may re-open it)', () => {
    const m = new EndedLeases();
    m.settle('never-begun');
    expect(m.refuses('never-begun')).toBe(false);
    expect(m.size).toBe(0);
  });

  it('stays bounded however many leases end within the minute', () => {
    const m = new EndedLeases(() => 5);
    for (let i = 0; i < 25_000; i++) {
      m.begin(`l${i}`);
      m.settle(`l${i}`);
    }
    expect(m.size).toBe(10_000);
    expect(m.refuses('l24999')).toBe(true);
    expect(m.refuses('l0')).toBe(false);
  });
});
