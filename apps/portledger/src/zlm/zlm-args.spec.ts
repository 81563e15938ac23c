import { describe, expect, it } from 'vitest';
import { boolArg, collectZlmArgs, intArg, requireArgs, ZlmError } from './zlm-args';

describe('ZLMediaKit argument rules', () => {
  it('takes form or JSON body values as strings, and lets the URL query win', () => {
    const args = collectZlmArgs({ secret: 's', port: '0' }, { port: 30000, ssrc: 200000001, tcp_mode: '1', re_use_port: true });
    expect(args).toEqual({ secret: 's', port: '0', ssrc: '200000001', tcp_mode: '1', re_use_port: 'true' });
  });

  it('treats an empty argument as missing and names every required one', () => {
    const err = (() => {
      try {
        requireArgs({ stream_id: '' }, 'port', 'stream_id');
      } catch (e) {
        return e as ZlmError;
      }
    })();
    expect(err?.code).toBe(-300);
    expect(err?.message).toBe('Required parameter missed: "port", "stream_id"');
  });

  it('parses integers strictly within bounds', () => {
    expect(intArg({ ssrc: '0200000001' }, 'ssrc', 0, 0xffffffff)).toBe(200000001);
    expect(intArg({}, 'tcp_mode', 0)).toBe(0);
    expect(() => intArg({ ssrc: '4294967296' }, 'ssrc', 0, 0xffffffff)).toThrow(ZlmError);
    expect(() => intArg({ port: '-1' }, 'port', 0)).toThrow(ZlmError);
  });

  it('reads flags as 1/true', () => {
    expect(boolArg({ a: '1', b: 'true', c: '0' }, 'a')).toBe(true);
    expect(boolArg({ a: '1', b: 'true', c: '0' }, 'b')).toBe(true);
    expect(boolArg({ a: '1', b: 'true', c: '0' }, 'c')).toBe(false);
    expect(boolArg({}, 'd')).toBe(false);
  });
});
