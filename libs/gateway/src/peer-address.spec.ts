import { describe, expect, it } from 'vitest';
import { normalizeAddress } from './peer-address';

describe('normalizeAddress', () => {
  it('keeps IPv4 as it is', () => {
    expect(normalizeAddress('192.0.2.10')).toBe('192.0.2.10');
  });

  it('writes IPv6 lower-case and compressed (RFC 5952)', () => {
    expect(normalizeAddress('2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeAddress('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeAddress('::')).toBe('::');
  });

  it('answers an IPv4-mapped IPv6 address as its IPv4 address, in either spelling', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:192.0.2.10')).toBe('192.0.2.10');
    expect(normalizeAddress('0:0:0:0:0:ffff:c000:20a')).toBe('192.0.2.10');
  });

  it('keeps a zone index, lower-cased', () => {
    expect(normalizeAddress('FE80::1%ETH0')).toBe('fe80::1%eth0');
  });

  it('leaves what is not an IP address to validation', () => {
    expect(normalizeAddress('camera.local')).toBe('camera.local');
    expect(normalizeAddress('')).toBe('');
  });
});
