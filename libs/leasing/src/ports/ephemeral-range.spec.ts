import { describe, expect, it } from 'vitest';
import { ephemeralOverlapWarning } from './ephemeral-range';

describe('ephemeral range warning', () => {
  it('is silent for the default range below 32768', () => {
    expect(ephemeralOverlapWarning({ start: 30000, end: 30999 }, '32768\t60999\n', '\n')).toBeNull();
  });

  it('warns, names the sysctl and the exposed ports, when the range lies in the ephemeral band', () => {
    const w = ephemeralOverlapWarning({ start: 60000, end: 61000 }, '32768\t60999\n', '\n');
    expect(w).toContain('1000 ports (60000-60999)');
    expect(w).toContain('net.ipv4.ip_local_reserved_ports=60000-61000');
  });

  it('is silent when the overlapping ports are reserved', () => {
    expect(ephemeralOverlapWarning({ start: 60000, end: 61000 }, '32768 60999', '59000-61000\n')).toBeNull();
  });

  it('counts only the ports not covered by a partial reservation', () => {
    expect(ephemeralOverlapWarning({ start: 60000, end: 60099 }, '32768 60999', '60000-60049,60060')).toContain('49 ports (60050-60099)');
  });
});
