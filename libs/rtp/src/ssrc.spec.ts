import { describe, expect, it } from 'vitest';
import { canonicalSsrc } from './ssrc';

describe('canonicalSsrc', () => {
  it('writes every SSRC as 10 decimal digits, from a number or a decimal string', () => {
    expect(canonicalSsrc(200000001)).toBe('0200000001');
    expect(canonicalSsrc('200000001')).toBe('0200000001');
    expect(canonicalSsrc('0200000001')).toBe('0200000001');
    expect(canonicalSsrc(0)).toBe('0000000000');
    expect(canonicalSsrc(0xffffffff)).toBe('4294967295');
  });
});
