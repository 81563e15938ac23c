import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startForeignListener, type ForeignListener } from '../../support/foreign-listener';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { DB_KINDS } from '../../support/test-databases';
import { findingsOf, startReconciler, type ReconcilerHarness } from '../../support/reconciler-harness';
import { waitFor } from '../../support/wait-for';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(DB_KINDS)('a reconcile pass on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 20 : 21);
  // 20 pairs at the start of the block
  const range = { start: block.start, end: block.start + 39 };
  let h: ReconcilerHarness;
  const foreign: ForeignListener[] = [];

  beforeAll(async () => {
    h = await startReconciler(kind, { range });
  });
  afterEach(async () => {
    await Promise.all(foreign.splice(0).map((f) => f.kill()));
    const active = await h.queries.history({ state: 'active', limit: 100 });
    await Promise.all(active.items.map((l) => h.release.release(l.id)));
    await h.gateway.closeAll();
    // settle: whatever the test left (quarantines, pending sightings) is cleared by two clean passes
    await h.reconciler.reconcileOnce();
    await h.reconciler.reconcileOnce();
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('writes a report in the contract shape even when it finds nothing', async () => {
    const report = await h.reconciler.reconcileOnce();
    expect(report).toMatchObject({ nodeId: 'reconcile-node', checkedPorts: 40, deferred: false, osReadError: null, findings: [] });
    expect(report.id).toMatch(UUID);
    expect(await h.reports.get(report.id)).toEqual(report);
  });

  it('re-opens a listener closed behind the gateway, on the second pass, and leaves the lease untouched', async () => {
    const { lease } = await h.allocate.allocate({ streamId: 'lost-listener' });
    await h.loseListener(lease.id);
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtcpPort]);

    const first = await h.reconciler.reconcileOnce();
    expect(findingsOf(first, 'ghost-lease')).toEqual([['pending', lease.rtpPort, lease.id]]);
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtcpPort]);

    const second = await h.reconciler.reconcileOnce();
    expect(findingsOf(second, 'ghost-lease')).toEqual([['re-opened', lease.rtpPort, lease.id]]);
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    const after = await h.queries.get(lease.id);
    expect(after.lease).toMatchObject({ state: 'listening', rtpPort: lease.rtpPort, releasedAt: null, expiresAt: lease.expiresAt });
    expect(after.events.map((e) => e.type)).toEqual(['allocated', 'listening']);
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'ghost-lease')).toEqual([]);
  });

  it('closes a gateway listener that no lease owns after two passes, not after one', async () => {
    const port = h.pool.pairs.freeInOrder()[0];
    const orphan = '00000000-0000-4000-8000-00000000dead';
    await h.openOrphan(orphan, port);

    const first = await h.reconciler.reconcileOnce();
    expect(findingsOf(first, 'orphan-listener')).toEqual([['pending', port, orphan]]);
    expect(listeningPorts(port, port + 1)).toEqual([port, port + 1]);

    const second = await h.reconciler.reconcileOnce();
    expect(findingsOf(second, 'orphan-listener')).toEqual([['closed', port, orphan]]);
    expect(listeningPorts(port, port + 1)).toEqual([]);
    expect(h.gateway.has(orphan)).toBe(false);
  });

  it('forgets a racy finding that is not seen in the next pass', async () => {
    const port = h.pool.pairs.freeInOrder()[0];
    const orphan = '00000000-0000-4000-8000-00000000beef';
    await h.openOrphan(orphan, port);
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'orphan-listener')).toEqual([['pending', port, orphan]]);
    await h.gateway.close(orphan);
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'orphan-listener')).toEqual([]);
    await h.openOrphan(orphan, port);
    // seen again, but not in two passes *in a row*: starts over
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'orphan-listener')).toEqual([['pending', port, orphan]]);
  });

  it('expires a lease whose expiry has passed, through the release routine', async () => {
    const { lease } = await h.allocate.allocate({ streamId: 'overdue', ttlSeconds: 60 });
    h.clock.advance(120_000);
    const report = await h.reconciler.reconcileOnce();
    expect(findingsOf(report, 'overdue-lease')).toEqual([['expired', lease.rtpPort, lease.id]]);
    const { lease: ended, events } = await h.queries.get(lease.id);
    expect(ended).toMatchObject({ state: 'expired', releaseReason: 'ttl' });
    expect(events.map((e) => e.type)).toEqual(['allocated', 'listening', 'expired']);
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    expect(h.pool.pairs.statusOf(lease.rtpPort)).toBe('free');
  });

  it('quarantines a pair held by another process with its pid and command, skips it, and clears it two passes after it is gone', async () => {
    const pair = h.pool.pairs.freeInOrder()[0];
    const child = await startForeignListener(pair);
    foreign.push(child);

    expect(findingsOf(await h.reconciler.reconcileOnce(), 'foreign-occupant')).toEqual([['pending', pair, null]]);
    const second = await h.reconciler.reconcileOnce();
    expect(findingsOf(second, 'foreign-occupant')).toEqual([['quarantined', pair, null]]);
    const usage = await h.queries.portUsage();
    const entry = usage.quarantine.find((q) => q.rtpPort === pair);
    expect(entry?.owner.pid).toBe(child.pid);
    expect(entry?.owner.command).toMatch(/node .*listen\(/);
    expect(entry?.owner.uid).toBe(process.getuid!());
    // no repeated finding while it stays
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'foreign-occupant')).toEqual([]);

    const { lease } = await h.allocate.allocate({ streamId: 'skips-foreign' });
    expect(lease.rtpPort).not.toBe(pair);

    await child.kill();
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'quarantine-cleared')).toEqual([['pending', pair, null]]);
    expect(h.pool.pairs.statusOf(pair)).toBe('quarantined');
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'quarantine-cleared')).toEqual([['cleared', pair, null]]);
    expect((await h.queries.portUsage()).quarantine).toEqual([]);
    const again = await h.allocate.allocate({ streamId: 'gets-it-back', rtpPort: pair });
    expect(again.lease.rtpPort).toBe(pair);
  });

  it('ignores a process on another specific address (another node of the fleet on the same host)', async () => {
    const pair = h.pool.pairs.freeInOrder()[0];
    foreign.push(await startForeignListener(pair, '127.0.0.2'));
    await h.reconciler.reconcileOnce();
    const second = await h.reconciler.reconcileOnce();
    expect(second.findings).toEqual([]);
    expect(h.pool.pairs.statusOf(pair)).toBe('free');
  });

  it('adds the owner to a pair quarantined by a failed bind', async () => {
    const pair = h.pool.pairs.freeInOrder()[0];
    const child = await startForeignListener(pair + 1);
    foreign.push(child);
    const { lease } = await h.allocate.allocate({ streamId: 'bind-fails-first' });
    expect(lease.rtpPort).not.toBe(pair);
    expect((await h.queries.portUsage()).quarantine.find((q) => q.rtpPort === pair)?.owner.pid).toBeNull();
    await h.reconciler.reconcileOnce();
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'foreign-occupant')).toEqual([['quarantined', pair + 1, null]]);
    const entry = (await h.queries.portUsage()).quarantine.find((q) => q.rtpPort === pair);
    expect(entry).toMatchObject({ port: pair + 1, owner: { pid: child.pid } });
  });

  it('joins a pass already running instead of starting a second one', async () => {
    const [a, b] = await Promise.all([h.reconciler.reconcileOnce(), h.reconciler.reconcileOnce()]);
    expect(a.id).toBe(b.id);
  });
});

describe.each(DB_KINDS)('the minimum age on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 20 : 21);
  const range = { start: block.start + 100, end: block.start + 119 };
  let h: ReconcilerHarness;

  beforeAll(async () => {
    h = await startReconciler(kind, { range, reconciler: { minAgeMs: 60_000 }, ledger: { testDelayAfterInsertMs: 1500 } });
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('never touches a young row, even one caught between its insert and its listen()', async () => {
    const allocation = h.allocate.allocate({ streamId: 'young' });
    const reserved = await waitFor(async () => (await h.queries.history({ state: 'reserved', limit: 1 })).items[0], 'the reserved row', {
      everyMs: 5,
    });
    expect(h.gateway.has(reserved.id)).toBe(false);
    for (let i = 0; i < 3; i++) {
      const report = await h.reconciler.reconcileOnce();
      expect(report.findings).toEqual([]);
    }
    const { lease } = await allocation;
    expect(lease).toMatchObject({ id: reserved.id, state: 'listening' });
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
  });

  it('keeps a racy finding pending while it is younger than the minimum age, however many passes see it', async () => {
    const port = h.pool.pairs.freeInOrder()[0];
    await h.openOrphan('00000000-0000-4000-8000-0000000000aa', port);
    for (let i = 0; i < 3; i++)
      expect(findingsOf(await h.reconciler.reconcileOnce(), 'orphan-listener')).toEqual([
        ['pending', port, '00000000-0000-4000-8000-0000000000aa'],
      ]);
    expect(listeningPorts(port, port + 1)).toEqual([port, port + 1]);
    h.clock.advance(61_000);
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'orphan-listener')).toEqual([
      ['closed', port, '00000000-0000-4000-8000-0000000000aa'],
    ]);
    expect(listeningPorts(port, port + 1)).toEqual([]);
  });
});
