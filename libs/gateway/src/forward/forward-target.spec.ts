import { describe, expect, it } from 'vitest';
import { mediaStreamName, parseForwardTarget } from './forward-target';

describe('forward targets', () => {
  it('reads tcp:// and udp:// URLs with an IPv4, IPv6 or host name and a port, in one spelling', () => {
    expect(parseForwardTarget('tcp://127.0.0.1:10000')).toEqual({
      protocol: 'tcp',
      host: '127.0.0.1',
      port: 10000,
      url: 'tcp://127.0.0.1:10000',
    });
    expect(parseForwardTarget('udp://[::1]:9000')).toEqual({ protocol: 'udp', host: '::1', port: 9000, url: 'udp://[::1]:9000' });
    expect(parseForwardTarget('tcp://ZLM.example.org:10000')?.url).toBe('tcp://zlm.example.org:10000');
  });

  it('refuses anything else', () => {
    for (const bad of [
      'http://127.0.0.1:80',
      'tcp://127.0.0.1',
      'tcp://127.0.0.1:0',
      'tcp://127.0.0.1:65536',
      'tcp://:80',
      'tcp://a b:1',
      'tcp://[zz]:1',
      'udp://::1:9000',
      '',
    ])
      expect(parseForwardTarget(bad)).toBeNull();
  });

  it('names the stream as ZLMediaKit does: rtp/ and the SSRC in 8 upper-case hex digits', () => {
    expect(mediaStreamName(200000001)).toBe('rtp/0BEBC201');
    expect(mediaStreamName(1)).toBe('rtp/00000001');
    expect(mediaStreamName(0xffffffff)).toBe('rtp/FFFFFFFF');
  });
});
