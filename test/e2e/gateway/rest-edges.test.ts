import { describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { waitFor } from '../../support/wait-for';
import { pull } from '../../support/pull';
import { pullService } from './pull-service';

/** A pull's handler waits this long between reading the lease and subscribing (test hook). */
const DELAY_BEFORE_PULL_MS = 1500;

describe('hard edges of the REST side of the media ports (running service)', () => {
  const block = portBlock(19);
  const { client, lease, stats, url } = pullService(block, 'portledger-rest-edges-', () => ({
    LIVE_PULLS_PER_LEASE: '2',
    PORTLEDGER_TEST_DELAY_BEFORE_PULL_MS: String(DELAY_BEFORE_PULL_MS),
  }));
  const liveClients = async (id: string) => (await stats(id)).liveClients as number;

  describe('live pulls (GET /api/v1/leases/:id/stream.ps)', () => {
    it('serves LIVE_PULLS_PER_LEASE pulls per lease, answers 429 too_many_pulls past it, and frees a place when a pull hangs up', async () => {
      const l = await lease('pull-cap');
      const [a, b] = [pull(url(l.id)), pull(url(l.id))];
      expect([await a.status, await b.status]).toEqual([200, 200]);
      const third = pull(url(l.id));
      expect(await third.status).toBe(429);
      expect(JSON.parse((await third.done).body.toString())).toMatchObject({
        statusCode: 429,
        error: 'too_many_pulls',
        leaseId: l.id,
        limit: 2,
      });
      a.abort();
      await waitFor(async () => (await liveClients(l.id)) === 1, 'the hung-up pull unsubscribed');
      const fourth = pull(url(l.id));
      expect(await fourth.status).toBe(200);
      expect(await liveClients(l.id)).toBe(2);
      b.abort();
      fourth.abort();
      await waitFor(async () => (await liveClients(l.id)) === 0, 'every pull unsubscribed');
    });

    it('never subscribes a client that hung up while its lease was being read', async () => {
      const l = await lease('pull-hangup');
      const early = pull(url(l.id));
      // Well inside the handler's wait between the lease read and the subscription.
      await new Promise((r) => setTimeout(r, DELAY_BEFORE_PULL_MS / 5));
      early.abort();
      // Started later with the same wait, this pull's subscription comes after the hung-up one's.
      const later = pull(url(l.id));
      expect(await later.status).toBe(200);
      expect(await liveClients(l.id)).toBe(1);
      later.abort();
      await waitFor(async () => (await liveClients(l.id)) === 0, 'unsubscribed');
    });
  });

  it('stores and answers peerAddress in one form: IPv6 lower-case and compressed, IPv4-mapped as IPv4', async () => {
    const v6 = await lease('peer-v6', { peerAddress: '2001:DB8:0:0::1' });
    expect(v6.peerAddress).toBe('2001:db8::1');
    const again = await client().post('/api/v1/leases', { streamId: 'peer-v6', peerAddress: '2001:db8::1' });
    expect(again).toMatchObject({ status: 200, body: { id: v6.id } });
    expect((await lease('peer-mapped', { peerAddress: '::FFFF:192.0.2.10' })).peerAddress).toBe('192.0.2.10');
    const name = await client().post('/api/v1/leases', { streamId: 'peer-name', peerAddress: 'camera.local' });
    expect(name).toMatchObject({ status: 400, body: { fields: [{ field: 'peerAddress' }] } });
  });
});
