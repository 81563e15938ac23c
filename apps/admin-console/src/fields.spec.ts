import { describe, expect, it } from 'vitest';
import { cellText, FIELDS, formatField, stateClass, stateIcon } from './fields';

describe('the field and state tables of the console', () => {
  it('names each field once per source (a lease field and a stat may share a name: transport)', () => {
    const keys = FIELDS.map((f) => `${f.from}.${f.key}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('formats known fields and shows unknown ones as they come', () => {
    expect(formatField('stats', 'bitrateKbps', 1590.4)).toBe('1.59 Mb/s');
    expect(formatField('stats', 'bitrateKbps', 512)).toBe('512 kb/s');
    expect(formatField('stats', 'bytes', 2048)).toBe('2.0 KiB');
    expect(formatField('stats', 'someNewStat', 7)).toBe('7');
    expect(formatField('lease', 'someNewObject', { a: 1 })).toBe('a=1');
  });

  it('shows the forward state of a lease when the stats carry one', () => {
    const forward = { to: 'tcp://10.0.0.5:10000', state: 'connected', packets: 10, bytes: 1000, dropped: 0, reconnects: 1 };
    const f = FIELDS.find((x) => x.key === 'forward')!;
    expect(f.cell).toBe(true);
    expect(cellText(f, forward)).toBe('fwd connected');
    expect(formatField('stats', 'forward', forward)).toBe('connected → tcp://10.0.0.5:10000 packets=10 bytes=1000 dropped=0 reconnects=1');
  });

  it('shows a state it does not know with a question mark and its own name', () => {
    expect(stateIcon('streaming')).toBe('▶');
    expect(stateClass('streaming')).toBe('st-streaming');
    expect(stateIcon('draining')).toBe('?');
    expect(stateClass('draining')).toBe('st-other');
  });
});
