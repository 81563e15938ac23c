import { describe, expect, it } from 'vitest';
import { BindError, isHostListenError } from './bind.error';
import { ListenerPair } from './listener-pair';

describe('which listen() errors are about the pair', () => {
  it('blames the pair for EADDRINUSE and EACCES only', () => {
    expect(new BindError(30000, 'EADDRINUSE').aboutThePair).toBe(true);
    expect(new BindError(30000, 'EACCES').aboutThePair).toBe(true);
    for (const code of ['EADDRNOTAVAIL', 'EMFILE', 'ENFILE', 'ENOBUFS', 'EUNKNOWN']) {
      expect(new BindError(30000, code).aboutThePair).toBe(false);
      expect(isHostListenError(new BindError(30000, code))).toBe(true);
    }
  });

  it('does not take an error that is no BindError for a host listen error', () => {
    expect(isHostListenError(new Error('ledger down'))).toBe(false);
    expect(isHostListenError(new BindError(30000, 'EADDRINUSE'))).toBe(false);
  });

  it('reports a bind address that is not up as a host error, with nothing left open', async () => {
    // TEST-NET-1 is never local: listen() fails at once, no packet is sent
    const pair = new ListenerPair('192.0.2.1', 0, 0, () => undefined);
    const err = await pair.open().catch((e) => e);
    expect(err).toBeInstanceOf(BindError);
    expect(err.code).toBe('EADDRNOTAVAIL');
    expect(isHostListenError(err)).toBe(true);
    expect(pair.rtp.listening || pair.rtcp.listening).toBe(false);
  });
});
