import { describe, expect, it } from 'vitest';
import { ConfirmationTracker } from './confirmation-tracker';

describe('the two-pass guard', () => {
  it('counts passes in a row and keeps the time it was first seen', () => {
    const t = new ConfirmationTracker();
    t.begin();
    expect(t.observe('a', 100, false)).toMatchObject({ passes: 1, firstSeen: 100 });
    t.end(false);
    t.begin();
    expect(t.observe('a', 200, false)).toMatchObject({ passes: 2, firstSeen: 100 });
    t.end(false);
  });

  it('starts over after a pass that did not see it', () => {
    const t = new ConfirmationTracker();
    t.begin();
    t.observe('a', 100, false);
    t.end(false);
    t.begin();
    t.end(false);
    t.begin();
    expect(t.observe('a', 300, false)).toMatchObject({ passes: 1, firstSeen: 300 });
  });

  it('carries OS sightings over a pass that could not look at the OS, without counting it', () => {
    const t = new ConfirmationTracker();
    t.begin();
    t.observe('os', 100, true);
    t.observe('gw', 100, false);
    t.end(false);
    t.begin();
    t.end(true);
    expect(t.size).toBe(1);
    t.begin();
    expect(t.observe('os', 300, true)).toMatchObject({ passes: 2, firstSeen: 100 });
  });

  it('forgets what was acted on', () => {
    const t = new ConfirmationTracker();
    t.begin();
    t.observe('a', 100, false);
    t.forget('a');
    t.end(false);
    t.begin();
    expect(t.observe('a', 200, false).passes).toBe(1);
  });
});
