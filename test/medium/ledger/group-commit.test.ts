import { randomUUID } from 'node:crypto';
import {
  isLedgerConnectionError,
  isUniqueViolation,
  LeaseChangeRepository,
  LeaseEventRepository,
  LeaseRepository,
  LedgerDatabase,
  WebhookOutboxRepository,
  type Lease,
  type Tx,
} from '@app/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aLease } from '../../support/lease-builder';
import { cuttableLedger, type LedgerCut } from '../../support/ledger-cut';
import { portBlock } from '../../support/port-blocks';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';

/** A row of a plain table (no lease): what a unit of work writes in these tests. */
function quarantine(db: LedgerDatabase, tx: Tx, node: string, port: number) {
  return db.exec(tx, 'INSERT INTO quarantined_pairs (node_id, rtp_port, rtcp_port, port, reason, since) VALUES (?, ?, ?, ?, ?, ?)', [
    node,
    port,
    port + 1,
    port,
    'spec',
    1,
  ]);
}

async function quarantinedPorts(db: LedgerDatabase, node: string): Promise<number[]> {
  const sql = 'SELECT rtp_port FROM quarantined_pairs WHERE node_id = ? ORDER BY rtp_port';
  return (await db.exec<{ rtp_port: number }>(null, sql, [node])).rows.map((r) => Number(r.rtp_port));
}

/**
 * Transactions that arrive together are committed in one database transaction (group commit);
 * each caller must still see exactly its own outcome. No sockets: rows only.
 */
describe.each(DB_KINDS)('group commit on %s', (kind) => {
  let tdb: TestDatabase;
  let db: LedgerDatabase;
  const node = `gc-${kind}`;

  const insert = (tx: Tx, port: number) => quarantine(db, tx, node, port);
  const ports = () => quarantinedPorts(db, node);

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

  it('never answers a unit as committed when the database rolled it back (a failed statement it swallowed)', async () => {
    const settled = await Promise.allSettled([
      db.transaction((tx) => insert(tx, 800)),
      db.transaction(async (tx) => {
        await insert(tx, 802);
        // the pair of the unit above: a unique violation, swallowed
        await insert(tx, 800).catch(() => undefined);
        return 'swallowed';
      }),
      db.transaction((tx) => insert(tx, 804)),
    ]);
    const written = (await ports()).filter((p) => p >= 800 && p < 900);
    if (kind === 'postgres') {
      // A failed statement aborts the whole PostgreSQL transaction: COMMIT answers ROLLBACK.
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'RolledBackAtCommitError' });
      expect(written).toEqual([800, 804]);
    } else {
      // SQLite undoes only the failed statement; the unit's other write commits.
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(written).toEqual([800, 802, 804]);
    }
  });

  it('answers a unit only after its rows are committed (visible to a read outside it)', async () => {
    const seen = await Promise.all([400, 402].map((p) => db.transaction((tx) => insert(tx, p)).then(() => ports())));
    for (const s of seen) expect(s).toEqual(expect.arrayContaining([400, 402]));
  });
});

/** A lease change as the transition writer makes it: the row, its event, its webhook. */
function allocated(lease: Lease) {
  return {
    leaseId: lease.id,
    at: lease.createdAt,
    row: { kind: 'insert', lease } as const,
    event: { type: 'allocated', detail: { rtpPort: lease.rtpPort } },
    webhook: {
      id: randomUUID(),
      nodeId: lease.nodeId,
      type: 'lease.listening' as const,
      subjectId: lease.id,
      payload: { lease },
      status: 'pending' as const,
      attempts: 0,
      lastError: null,
      createdAt: lease.createdAt,
      nextAttemptAt: lease.createdAt,
      updatedAt: lease.createdAt,
    },
  };
}

/**
 * The lease changes of one batch (one statement each on PostgreSQL, sent together on the
 * pipelined connection; three statements each on SQLite): a change that fails must fail alone.
 */
describe.each(DB_KINDS)('lease changes committed together on %s', (kind) => {
  let tdb: TestDatabase;
  let db: LedgerDatabase;
  let leases: LeaseRepository;
  let events: LeaseEventRepository;
  let outbox: WebhookOutboxRepository;
  let changes: LeaseChangeRepository;
  const nodeId = `gc-changes-${kind}`;

  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    db = new LedgerDatabase(tdb.config);
    await db.open();
    leases = new LeaseRepository(db);
    events = new LeaseEventRepository(db);
    outbox = new WebhookOutboxRepository(db);
    changes = new LeaseChangeRepository(db, leases, events, outbox);
  });
  afterAll(async () => {
    await db.onApplicationShutdown();
    await tdb.drop();
  });

  const webhooksOf = async (id: string) => (await outbox.page({ nodeId, limit: 100 })).items.filter((e) => e.subjectId === id);

  it('a change that breaks the one-active-lease-per-pair index fails alone and leaves no event or webhook; the others commit with theirs', async () => {
    const [a, clash, b] = [700, 700, 702].map((rtpPort) => aLease({ nodeId, rtpPort, state: 'reserved' }));
    const settled = await Promise.allSettled([a, clash, b].map((l) => db.transaction((tx) => changes.write(tx, allocated(l)))));

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(isUniqueViolation((settled[1] as PromiseRejectedResult).reason, 'ux_leases_active_port')).toBe(true);
    for (const l of [a, b]) {
      expect(await leases.findById(l.id)).toEqual(l);
      expect((await events.last(l.id, 10)).map((e) => e.type)).toEqual(['allocated']);
      expect((await webhooksOf(l.id)).map((e) => e.payload)).toEqual([{ lease: l }]);
    }
    expect(await leases.findById(clash.id)).toBeNull();
    expect(await events.last(clash.id, 10)).toEqual([]);
    expect(await webhooksOf(clash.id)).toEqual([]);
  });

  it('a change to a lease that ended writes nothing and answers false, beside changes that commit', async () => {
    const [ended, live] = [aLease({ nodeId, rtpPort: 710 }), aLease({ nodeId, rtpPort: 712 })];
    for (const l of [ended, live]) await db.transaction((tx) => changes.write(tx, allocated(l)));
    const end = { kind: 'end', end: { state: 'released', reason: 'client' }, finalStats: null } as const;
    await db.transaction((tx) => changes.write(tx, { leaseId: ended.id, at: 2, row: end, event: null, webhook: null }));

    const streaming = (l: Lease) => ({
      leaseId: l.id,
      at: 3,
      row: { kind: 'state', state: 'streaming' } as const,
      event: { type: 'spec', detail: null },
      webhook: null,
    });
    const answers = await Promise.all([ended, live].map((l) => db.transaction((tx) => changes.write(tx, streaming(l)))));

    expect(answers).toEqual([false, true]);
    expect(await leases.findById(ended.id)).toMatchObject({ state: 'released', updatedAt: 2 });
    expect((await events.last(ended.id, 10)).map((e) => e.type)).toEqual(['allocated']);
    expect(await leases.findById(live.id)).toMatchObject({ state: 'streaming', updatedAt: 3 });
    expect((await events.last(live.id, 10)).map((e) => e.type)).toEqual(['allocated', 'spec']);
  });
});

/**
 * The database goes away (SQLite: another connection holds the write lock past the busy
 * timeout; PostgreSQL: every connection is reset and new ones refused).
 */
describe.each(DB_KINDS)('group commit while the database is away on %s', (kind) => {
  let tdb: TestDatabase;
  let link: LedgerCut;
  let db: LedgerDatabase;
  const node = `gc-away-${kind}`;

  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    // Block 9 is lease-transition-writer's and allocation-branches' (http 0 and 1): http 2 is this file's proxy.
    link = await cuttableLedger(tdb, portBlock(9).http(2));
    db = new LedgerDatabase(link.config);
    await db.open();
  });
  afterAll(async () => {
    await link.restore();
    await db.onApplicationShutdown();
    await link.close();
    await tdb.drop();
  });

  it('every unit of the batch gets the error at once and none runs again alone; writes and reads work again once it is back', async () => {
    const insert = (tx: Tx, port: number) => quarantine(db, tx, node, port);
    await db.transaction((tx) => insert(tx, 900));
    await link.cut();

    const runs = [0, 0, 0];
    const settled = await Promise.allSettled(
      [902, 904, 906].map((port, i) =>
        db.transaction(async (tx) => {
          runs[i]++;
          await insert(tx, port);
        }),
      ),
    );

    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect(isLedgerConnectionError((s as PromiseRejectedResult).reason), String((s as PromiseRejectedResult).reason)).toBe(true);
    }
    expect(Math.max(...runs)).toBeLessThanOrEqual(1);

    await link.restore();
    await db.transaction((tx) => insert(tx, 908));
    expect(await quarantinedPorts(db, node)).toEqual([900, 908]);
  }, 30_000);
});
