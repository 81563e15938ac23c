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

  it('remembers a lease settled twice from its last settle', () => {
    let now = 0;
    const m = new EndedLeases(() => now);
    m.begin('a');
    m.settle('a');
    now = 30_000;
    m.begin('a');
    m.settle('a');
    now = 60_001;
    expect(m.refuses('a')).toBe(true);
    now = 90_001;
    expect(m.refuses('a')).toBe(false);
    expect(m.size).toBe(0);
  });

  it('forgets by age and by count over a long run, oldest first', () => {
    let now = 0;
    const m = new EndedLeases(() => now);
    for (let i = 0; i < 50_000; i++) {
      m.begin(`l${i}`);
      m.settle(`l${i}`);
      now += 10;
    }
    // 10 ms apart: the 6,000 that ended less than a minute before the last one, under the count bound
    expect(m.size).toBe(6_000);
    expect(m.refuses('l44000')).toBe(false);
    expect(m.refuses('l44001')).toBe(true);
    expect(m.refuses('l49999')).toBe(true);
  });
});
