import { ForeignNodeError } from '@app/leasing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { DB_KINDS } from '../../support/test-databases';
import { listeningOn } from '../../support/listening-by-address';

// Two nodes in one process on one ledger (a SQLite file or a PostgreSQL schema), the same
// range, each on its own loopback address: what a fleet is, without HTTP.
describe.each(DB_KINDS)('two nodes sharing one ledger on %s', (kind) => {
  const block = portBlock(34);
  const range = rangeOf(block.range(10, kind === 'sqlite' ? 0 : 100));
  let a: LedgerHarness;
  let b: LedgerHarness;

  beforeAll(async () => {
    a = await startLedger(kind, { range, nodeId: 'node-a', bindHost: '127.0.0.1', advertisedHost: '127.0.0.1' });
    b = await startLedger(kind, { range, nodeId: 'node-b', bindHost: '127.0.0.2', advertisedHost: '127.0.0.2' }, a.db);
  });
  afterAll(async () => {
    await a?.close();
    await b?.destroy();
  });

  it('hands out the same pairs on both nodes independently', async () => {
    const onA = await Promise.all(Array.from({ length: 10 }, (_, i) => a.allocate.allocate({ streamId: `a-${i}` })));
    const onB = await Promise.all(Array.from({ length: 10 }, (_, i) => b.allocate.allocate({ streamId: `b-${i}` })));
    const ports = (rs: typeof onA) => rs.map((r) => r.lease.rtpPort).sort((x, y) => x - y);
    expect(ports(onA)).toEqual(ports(onB));
    expect(listeningOn('127.0.0.1', range.start, range.end)).toHaveLength(20);
    expect(listeningOn('127.0.0.2', range.start, range.end)).toHaveLength(20);
  });

  it("refuses to end or renew the other node's lease and leaves its sockets open", async () => {
    const theirs = (await b.queries.history({ nodeId: 'node-b', state: 'active', limit: 1 })).items[0];
    await expect(a.release.release(theirs.id)).rejects.toBeInstanceOf(ForeignNodeError);
    await expect(a.renew.renew(theirs.id, 60)).rejects.toMatchObject({ code: 'foreign_node', extra: { nodeId: 'node-b' } });
    expect(listeningOn('127.0.0.2', theirs.rtpPort, theirs.rtcpPort)).toEqual([theirs.rtpPort, theirs.rtcpPort]);
    expect((await a.queries.get(theirs.id)).lease.state).toBe('listening');
    const ended = await b.release.release(theirs.id);
    expect(ended.state).toBe('released');
    // An ended lease is answered as it is, from any node (DELETE is idempotent).
    expect((await a.release.release(theirs.id)).state).toBe('released');
  });

  it("counts the other node's usage from the ledger", async () => {
    expect(await a.queries.portUsage('node-b')).toMatchObject({ nodeId: 'node-b', pairs: 10, leased: 9, quarantined: 0, free: 1 });
    expect(await a.queries.portUsage()).toMatchObject({ nodeId: 'node-a', pairs: 10, leased: 10, free: 0 });
  });
});
