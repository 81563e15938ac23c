import { PortRangeExhaustedError, StreamConflictError, type Lease } from '@app/leasing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startForeignListener, type ForeignListener } from '../../support/foreign-listener';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { DB_KINDS } from '../../support/test-databases';
import { waitFor } from '../../support/wait-for';

describe.each(DB_KINDS)('allocation and release on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 1 : 2);
  let h: LedgerHarness;
  const foreign: ForeignListener[] = [];

  beforeAll(async () => {
    h = await startLedger(kind, { range: rangeOf(block.range(150)) });
  });
  afterEach(async () => {
    await Promise.all(foreign.splice(0).map((f) => f.kill()));
    const active = await h.queries.history({ state: 'active', limit: 500 });
    await Promise.all(active.items.map((l) => h.release.release(l.id)));
  });
  afterAll(async () => {
    await h?.destroy();
  });

  const allocate = (streamId: string, extra = {}) => h.allocate.allocate({ streamId, ...extra }).then((r) => r.lease);

  it('gives 100 concurrent requests 100 distinct pairs without a transaction error', async () => {
    const leases = await Promise.all(Array.from({ length: 100 }, (_, i) => allocate(`conc-${i}`)));
    const ports = new Set(leases.map((l) => l.rtpPort));
    expect(ports.size).toBe(100);
    for (const l of leases) {
      expect(l.state).toBe('listening');
      expect(l.rtpPort % 2).toBe(0);
      expect(l.rtcpPort).toBe(l.rtpPort + 1);
    }
    const open = listeningPorts(block.start, block.end);
    for (const l of leases) expect(open).toEqual(expect.arrayContaining([l.rtpPort, l.rtcpPort]));
  });

  it('answers the same active stream with one lease however many ask at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.allocate.allocate({ streamId: 'same-stream', ssrc: '0000000007' })),
    );
    expect(new Set(results.map((r) => r.lease.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('returns the existing lease for a matching request and refuses a conflicting one', async () => {
    const first = await allocate('idem', { ssrc: '0200000001', ttlSeconds: 600 });
    const again = await h.allocate.allocate({ streamId: 'idem', ssrc: '0200000001' });
    expect(again).toMatchObject({ created: false, lease: { id: first.id, rtpPort: first.rtpPort } });
    const err = await allocate('idem', { ssrc: '0200000002' }).catch((e) => e);
    expect(err).toBeInstanceOf(StreamConflictError);
    expect(err.extra.leaseId).toBe(first.id);
  });

  it('closes both listeners in the OS before release resolves, and release is idempotent', async () => {
    const lease = await allocate('rel');
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    const released = await h.release.release(lease.id);
    expect(released).toMatchObject({ state: 'released', releaseReason: 'client' });
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    const twice = await h.release.release(lease.id);
    expect(twice.state).toBe('released');
    const events = (await h.queries.eventsOf(lease.id)).items;
    expect(events.map((e) => e.type)).toEqual(['allocated', 'listening', 'released']);
  });

  it('skips and quarantines a pair whose RTP port another process holds', async () => {
    const next = h.pool.pairs.freeInOrder()[0];
    foreign.push(await startForeignListener(next));
    const lease = await allocate('foreign-rtp');
    expect(lease.rtpPort).not.toBe(next);
    const usage = await h.queries.portUsage();
    expect(usage.quarantine).toEqual(
      expect.arrayContaining([expect.objectContaining({ rtpPort: next, port: next, reason: 'bind-failed: EADDRINUSE' })]),
    );
    const failed = await h.queries.history({ streamId: 'foreign-rtp', state: 'failed', limit: 5 });
    expect(failed.items).toHaveLength(1);
    expect(failed.items[0]).toMatchObject({ rtpPort: next, releaseReason: 'bind-failed' });
  });

  it('leaves no half-open pair when the RTCP listen fails', async () => {
    const next = h.pool.pairs.freeInOrder()[0];
    foreign.push(await startForeignListener(next + 1));
    const lease = await allocate('foreign-rtcp');
    expect(lease.rtpPort).not.toBe(next);
    // The foreign process still holds the odd port; our even half was closed again.
    expect(listeningPorts(next, next + 1)).toEqual([next + 1]);
    expect(h.gateway.listeners().some((l) => l.rtpPort === next)).toBe(false);
    expect(h.pool.pairs.statusOf(next)).toBe('quarantined');
  });

  it('ends a lease at its TTL through the release routine and closes its ports', async () => {
    const lease = await allocate('short-ttl', { ttlSeconds: 1 });
    await waitFor(async () => (await h.queries.get(lease.id)).lease.state === 'expired', 'the lease expired at its TTL');
    const { lease: ended } = await h.queries.get(lease.id);
    expect(ended.releaseReason).toBe('ttl');
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
  });

  it('renews an active lease and refuses to renew an ended one', async () => {
    const lease = await allocate('renew', { ttlSeconds: 60 });
    const renewed = await h.renew.renew(lease.id, 600);
    expect(renewed.expiresAt).toBeGreaterThan(lease.expiresAt + 500_000);
    await h.release.release(lease.id);
    await expect(h.renew.renew(lease.id, 600)).rejects.toMatchObject({ code: 'lease_ended' });
  });
});

describe.each(DB_KINDS)('a small range on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 3 : 4);
  let h: LedgerHarness;

  beforeAll(async () => {
    h = await startLedger(kind, { range: rangeOf(block.range(3)) });
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('answers port_range_exhausted when every pair is leased, then hands out the least recently released pair first', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((s) => h.allocate.allocate({ streamId: s }).then((r) => r.lease)));
    await expect(h.allocate.allocate({ streamId: 'd' })).rejects.toBeInstanceOf(PortRangeExhaustedError);
    await h.release.release(b.id);
    await h.release.release(a.id);
    await h.release.release(c.id);
    const order: Lease[] = [];
    for (const s of ['e', 'f', 'g']) order.push((await h.allocate.allocate({ streamId: s })).lease);
    expect(order.map((l) => l.rtpPort)).toEqual([b.rtpPort, a.rtpPort, c.rtpPort]);
  });

  it('keeps the least-recently-used order across a restart', async () => {
    const active = await h.queries.history({ state: 'active', limit: 10 });
    const byPort = [...active.items].sort((x, y) => x.rtpPort - y.rtpPort);
    for (const l of [byPort[2], byPort[0], byPort[1]]) await h.release.release(l.id);
    await h.close();
    h = await startLedger(kind, { range: rangeOf(block.range(3)) }, h.db);
    expect(h.pool.pairs.freeInOrder()).toEqual([byPort[2].rtpPort, byPort[0].rtpPort, byPort[1].rtpPort]);
  });
});
