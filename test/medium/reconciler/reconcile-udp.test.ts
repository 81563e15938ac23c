import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startForeignUdpSocket, type ForeignListener } from '../../support/foreign-listener';
import { portBlock } from '../../support/port-blocks';
import { boundUdpPorts } from '../../support/proc-net';
import { DB_KINDS } from '../../support/test-databases';
import { findingsOf, startReconciler, type ReconcilerHarness } from '../../support/reconciler-harness';

/**
 * The reconciler and UDP sockets: a UDP lease holds two bound sockets, so a UDP socket in the
 * range that no active lease explains is a leak (ZLMediaKit #4079 left a UDP half bound), and
 * another process's UDP socket on a pair keeps the pair out of use.
 */
describe.each(DB_KINDS)('reconciling UDP sockets on %s', (kind) => {
  // Block 58 is shared with test/medium/device-sim (its first 10 ports): this file uses +100 onwards.
  const block = portBlock(58);
  const start = block.start + 100 + (kind === 'sqlite' ? 0 : 100);
  const range = { start, end: start + 19 };
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
    await h.reconciler.reconcileOnce();
    await h.reconciler.reconcileOnce();
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('leaves a UDP lease and its two bound sockets alone', async () => {
    const { lease } = await h.allocate.allocate({ streamId: 'udp-fine', transport: 'udp' });
    expect(boundUdpPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    for (let i = 0; i < 2; i++) expect((await h.reconciler.reconcileOnce()).findings).toEqual([]);
    expect(boundUdpPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
  });

  it('closes the UDP sockets of a gateway session that no lease owns, on the second pass', async () => {
    const port = h.pool.pairs.freeInOrder()[0];
    const orphan = '00000000-0000-4000-8000-0000000000d9';
    await h.openOrphan(orphan, port, 'udp');
    expect(boundUdpPorts(port, port + 1)).toEqual([port, port + 1]);

    expect(findingsOf(await h.reconciler.reconcileOnce(), 'orphan-listener')).toEqual([['pending', port, orphan]]);
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'orphan-listener')).toEqual([['closed', port, orphan]]);
    expect(boundUdpPorts(port, port + 1)).toEqual([]);
    expect(h.gateway.has(orphan)).toBe(false);
  });

  it('quarantines a pair another process holds a UDP socket on, names the process, and frees the pair once it is gone', async () => {
    const port = h.pool.pairs.freeInOrder()[0];
    const other = await startForeignUdpSocket(port + 1);
    foreign.push(other);

    expect(findingsOf(await h.reconciler.reconcileOnce(), 'foreign-occupant')).toEqual([['pending', port + 1, null]]);
    const second = await h.reconciler.reconcileOnce();
    expect(findingsOf(second, 'foreign-occupant')).toEqual([['quarantined', port + 1, null]]);
    expect(second.findings.find((f) => f.kind === 'foreign-occupant')?.detail).toMatchObject({ protocol: 'udp', state: 'UNCONN' });
    const [entry] = await h.queries.quarantined();
    expect(entry).toMatchObject({ rtpPort: port, owner: { pid: other.pid, command: expect.stringMatching(/node/) } });

    await other.kill();
    for (let i = 0; i < 2; i++) await h.reconciler.reconcileOnce();
    expect(await h.queries.quarantined()).toEqual([]);
  });
});
