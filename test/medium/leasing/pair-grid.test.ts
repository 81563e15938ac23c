import { FleetNodesQuery, GRID_LIVE_STATS, PairGridQuery, QuarantinePairUseCase } from '@app/leasing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { DB_KINDS } from '../../support/test-databases';

// Block 53's ports 7700-7759 (the admin e2e file of the same block uses 7600-7623 and its HTTP
// ports at the block's end), on 127.0.0.1 and 127.0.0.2.
const block = portBlock(53);

// What the admin console's grid and node switch read: every pair of the range in one answer,
// for this node from its pool and gateway, for another node from the ledger.
describe.each(DB_KINDS)('the pair grid and the fleet nodes on %s', (kind) => {
  const range = rangeOf(block.range(10, kind === 'sqlite' ? 100 : 140));
  let a: LedgerHarness;
  let b: LedgerHarness;
  let grid: PairGridQuery;
  let fleet: FleetNodesQuery;

  beforeAll(async () => {
    a = await startLedger(kind, { range, nodeId: 'node-a', bindHost: '127.0.0.1', advertisedHost: '127.0.0.1' });
    b = await startLedger(kind, { range, nodeId: 'node-b', bindHost: '127.0.0.2', advertisedHost: '127.0.0.2' }, a.db);
    grid = a.app.get(PairGridQuery);
    fleet = a.app.get(FleetNodesQuery);
    for (let i = 0; i < 3; i++) await a.allocate.allocate({ streamId: `a-${i}` });
    for (let i = 0; i < 2; i++) await b.allocate.allocate({ streamId: `b-${i}` });
    await a.app.get(QuarantinePairUseCase).quarantine(range.end - 1, 'foreign-occupant', { pid: 4242, command: 'squatter', uid: 0 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.destroy();
  });

  it("gives every pair of this node's range with its state, lease and live stats, and the counts of GET /ports", async () => {
    const g = await grid.grid();
    const usage = await a.queries.portUsage();
    expect(g.nodeId).toBe('node-a');
    expect(g.pairs.map((p) => p.rtpPort)).toEqual(Array.from({ length: 10 }, (_, i) => range.start + i * 2));
    expect(g.totals).toEqual({
      pairs: usage.pairs,
      free: usage.free,
      leased: usage.leased,
      quarantined: usage.quarantined,
      byState: { listening: 3, free: 6, quarantined: 1 },
    });
    const leased = g.pairs.filter((p) => p.lease);
    expect(leased.map((p) => p.lease!.streamId).sort()).toEqual(['a-0', 'a-1', 'a-2']);
    for (const p of leased) {
      expect(p.state).toBe(p.lease!.state);
      expect(p.lease!.rtpPort).toBe(p.rtpPort);
      // live stats: only the grid's subset, read from the gateway
      expect(Object.keys(p.live!).every((k) => (GRID_LIVE_STATS as readonly string[]).includes(k))).toBe(true);
      expect(p.live).toMatchObject({ peer: null, connected: false, bitrateKbps: 0 });
    }
    const q = g.pairs.find((p) => p.state === 'quarantined')!;
    expect(q.rtpPort).toBe(range.end - 1);
    expect(q.quarantine).toMatchObject({ reason: 'foreign-occupant', owner: { pid: 4242, command: 'squatter', uid: 0 } });
    expect(g.pairs.filter((p) => p.state === 'free').every((p) => p.lease === null && p.quarantine === null)).toBe(true);
  });

  it('carries the live stats a caller names, and leaves out names the stats do not have', async () => {
    const g = await grid.grid(undefined, ['bitrateKbps', 'keyframes', 'noSuchStat', 'constructor']);
    const live = g.pairs.filter((p) => p.lease).map((p) => p.live);
    expect(live).toHaveLength(3);
    for (const l of live) expect(l).toEqual({ bitrateKbps: 0, keyframes: 0 });
  });

  it("gives another node's pairs from the ledger, without live stats, and says so", async () => {
    const g = await grid.grid('node-b');
    expect(g.nodeId).toBe('node-b');
    expect(g.pairs).toHaveLength(10);
    const leased = g.pairs.filter((p) => p.lease);
    expect(leased.map((p) => p.lease!.streamId).sort()).toEqual(['b-0', 'b-1']);
    expect(leased.every((p) => p.state === 'listening' && p.live === null && p.lease!.nodeId === 'node-b')).toBe(true);
    expect(g.totals).toMatchObject({ pairs: 10, leased: 2, free: 8, quarantined: 0 });
    expect(g.warnings.join(' ')).toContain('from the ledger');
  });

  it('lists the nodes of the ledger, and a stopped node that still holds leases', async () => {
    const nodes = await fleet.nodes();
    expect(nodes.map((n) => [n.nodeId, n.running, n.self])).toEqual([
      ['node-a', true, true],
      ['node-b', true, false],
    ]);
    expect(nodes[1]).toMatchObject({ pid: process.pid, host: expect.any(String) });
    // a graceful stop removes node-b's process row; its active leases keep it on the list
    await b.close();
    const after = await fleet.nodes();
    expect(after.find((n) => n.nodeId === 'node-b')).toEqual({
      nodeId: 'node-b',
      host: null,
      pid: null,
      heartbeatAt: null,
      running: false,
      self: false,
    });
  });
});
