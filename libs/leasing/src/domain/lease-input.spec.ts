import { describe, expect, it } from 'vitest';
import { InvalidLeaseInputError } from '../errors/invalid-lease-input.error';
import { leasePeerPort, leaseTransport } from './lease-input';

describe('leaseTransport', () => {
  it('is tcp-passive when not named, and each of the three transports as named', () => {
    expect(leaseTransport(undefined)).toBe('tcp-passive');
    for (const t of ['tcp-passive', 'udp', 'tcp-active']) expect(leaseTransport(t)).toBe(t);
  });

  it.each(['UDP', 'tcp', 'rtp-over-tcp', ''])('refuses %j naming the field and the three allowed', (t) => {
    expect(() => leaseTransport(t)).toThrow(InvalidLeaseInputError);
    expect(() => leaseTransport(t)).toThrow('transport must be one of "tcp-passive", "udp", "tcp-active"');
  });
});

describe('leasePeerPort', () => {
  it('takes 1..65535', () => {
    expect(leasePeerPort(1)).toBe(1);
    expect(leasePeerPort(65535, 'port')).toBe(65535);
  });

  it.each([0, 65536, 1.5, -1, Number.NaN])('refuses %d naming the field it came in', (p) => {
    expect(() => leasePeerPort(p, 'port')).toThrow('port must be an integer in 1..65535');
  });
});
