import { LedgerDatabase, type Tx } from '@app/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';

/**
 * Transactions that arrive together are committed in one database transaction (group commit);
 * each caller must still see exactly its own outcome. No sockets: rows only.
 */
describe.each(DB_KINDS)('group commit on %s', (kind) => {
  let tdb: TestDatabase;
  let db: LedgerDatabase;
  const node = `gc-${kind}`;

  const insert = (tx: Tx, port: number) =>
    db.exec(tx, 'INSERT INTO quarantined_pairs (node_id, rtp_port, rtcp_port, port, reason, since) VALUES (?, ?, ?, ?, ?, ?)', [
      node,
      port,
      port + 1,
      port,
      'spec',
      1,
    ]);
  const ports = async () =>
    (
      await db.exec<{ rtp_port: number }>(null, 'SELECT rtp_port FROM quarantined_pairs WHERE node_id = ? ORDER BY rtp_port', [node])
    ).rows.map((r) => Number(r.rtp_port));

  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    db = new LedgerDatabase(tdb.config);
    await db.open();
  });
  afterAll(async () => {
    await db.onApplicationShutdown();
    await tdb.drop();
  });

  it('commits every unit of a batch and answers each its own value', async () => {
    const results = await Promise.all([100, 102, 104, 106].map((p) => db.transaction(async (tx) => (await insert(tx, p), p * 10))));
    expect(results).toEqual([1000, 1020, 1040, 1060]);
    expect(await ports()).toEqual([100, 102, 104, 106]);
  });

  it('rolls back only the unit that failed: the others commit and answer normally', async () => {
    const settled = await Promise.allSettled([
      db.transaction(async (tx) => insert(tx, 200)),
      db.transaction(async (tx) => {
        await insert(tx, 202);
        throw new Error('unit two gives up after its write');
      }),
      // a constraint violation: the same pair as unit one
      db.transaction(async (tx) => insert(tx, 200)),
      db.transaction(async (tx) => insert(tx, 204)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('unit two gives up after its write');
    expect((await ports()).filter((p) => p >= 200)).toEqual([200, 204]);
  });

  it('a unit alone that fails leaves nothing behind', async () => {
    await expect(
      db.transaction(async (tx) => {
        await insert(tx, 300);
        throw new Error('alone');
      }),
    ).rejects.toThrow('alone');
    expect((await ports()).filter((p) => p >= 300)).toEqual([]);
  });

  it('a transaction a caller queues as its previous one is answered is never left waiting for an unrelated one', async () => {
    // The caller's continuation queues its next write some promise hops after being answered,
    // while the lane is finishing: wherever that lands, the write must be taken up. (Nothing
    // else writes here: a write left in the queue would hang until the test times out.)
    for (let hops = 0; hops < 12; hops++) {
      const port = 600 + 2 * hops;
      await db.transaction((tx) => insert(tx, port));
      for (let i = 0; i < hops; i++) await Promise.resolve();
      await db.transaction((tx) => insert(tx, port + 1));
    }
    expect((await ports()).filter((p) => p >= 600 && p < 700)).toHaveLength(24);
  });

  it('answers a unit only after its rows are committed (visible to a read outside it)', async () => {
    const seen = await Promise.all([400, 402].map((p) => db.transaction((tx) => insert(tx, p)).then(() => ports())));
    for (const s of seen) expect(s).toEqual(expect.arrayContaining([400, 402]));
  });
});
