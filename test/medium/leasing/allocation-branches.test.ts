import { LeaseRepository, LedgerDatabase } from '@app/ledger';
import type { ArgumentsHost } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiExceptionFilter } from '../../../apps/portledger/src/http/api-exception.filter';
import { aLease } from '../../support/lease-builder';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { cuttableLedger, type LedgerCut } from '../../support/ledger-cut';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { ScriptedGateway } from '../../support/scripted-gateway';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';
import { waitFor } from '../../support/wait-for';

/** What the REST API answers for an error the use case threw (the app's one exception filter). */
function httpAnswerOf(err: unknown): { status: number; body: Record<string, unknown> } {
  const answer = { status: 0, body: {} as Record<string, unknown> };
  const res = {
    headersSent: false,
    status: (s: number) => ((answer.status = s), res),
    json: (b: Record<string, unknown>) => void (answer.body = b),
  };
  new ApiExceptionFilter().catch(err, { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost);
  return answer;
}

// The allocation branches that real sockets cannot reach on demand, on a real ledger: the
// gateway is scripted, so the test decides what happens at the moment the listeners are up.
// The gateway opens no sockets; the block's ports hold the PostgreSQL proxy only.
describe.each(DB_KINDS)('allocation around a scripted gateway on %s', (kind) => {
  const block = portBlock(9);
  const range = rangeOf(block.range(10, kind === 'sqlite' ? 0 : 100));
  let db: TestDatabase | undefined;
  let ledger: LedgerCut | undefined;
  let gateway: ScriptedGateway;
  let h: LedgerHarness | undefined;

  /** A new ledger per test (a boot would resume the leases of the last one) behind a cuttable link. */
  const start = async () => {
    db = await createTestDatabase(kind);
    ledger = await cuttableLedger(db, block.http(kind === 'sqlite' ? 0 : 1));
    gateway = new ScriptedGateway();
    h = await startLedger(kind, { range, database: ledger.config }, db, {}, gateway);
    return { h, ledger };
  };
  afterEach(async () => {
    await ledger?.restore();
    await h?.close();
    await ledger?.close();
    await db?.drop();
    [db, ledger, h] = [undefined, undefined, undefined];
  });

  /** Another writer (a second process with this NODE_ID) holds `rtpPort` for this node in the ledger. */
  const anotherWriterTakes = (h: LedgerHarness, rtpPort: number) =>
    h.app
      .get(LedgerDatabase)
      .transaction((tx) => h.app.get(LeaseRepository).insertReserved(tx, aLease({ nodeId: h.options.nodeId, rtpPort, state: 'reserved' })));

  it('skips a pair another writer took behind its back, keeps that pair out of its free list, and opens nothing on it', async () => {
    const { h } = await start();
    let stolen = 0;
    gateway.succeedNextOpen(async () => {
      // While the first allocation listens, the pair next in line is written by someone else.
      stolen = h.pool.pairs.freeInOrder()[0];
      await anotherWriterTakes(h, stolen);
    });
    const first = await h.allocate.allocate({ streamId: 'first' });
    const second = await h.allocate.allocate({ streamId: 'second' });

    expect(second).toMatchObject({ created: true, lease: { state: 'listening' } });
    expect(second.lease.rtpPort).not.toBe(stolen);
    expect(gateway.opens.map((b) => b.rtpPort)).toEqual([first.lease.rtpPort, second.lease.rtpPort]);
    expect(h.pool.pairs.statusOf(stolen)).toBe('taken');
    expect(h.pool.pairs.freeInOrder()).not.toContain(stolen);
    // the other writer's row is left as it was, and no lease of ours was written on its pair
    const onStolen = (await h.queries.history({ state: 'reserved', limit: 10 })).items.filter((l) => l.rtpPort === stolen);
    expect(onStolen.map((l) => l.streamId)).toEqual([expect.stringMatching(/^test-stream-/)]);
  });

  it('closes what it opened when the ledger goes away after listen(), answers 503 ledger_unavailable, and keeps the pair out of the free list until the end is written', async () => {
    const { h, ledger } = await start();
    const pair = h.pool.pairs.freeInOrder()[0];
    gateway.succeedNextOpen(() => ledger.cut());

    const err = await h.allocate.allocate({ streamId: 'cut-after-listen' }).catch((e: unknown) => e);

    expect(httpAnswerOf(err)).toMatchObject({ status: 503, body: { statusCode: 503, error: 'ledger_unavailable' } });
    const id = gateway.opens[0].leaseId;
    expect(gateway.opens.map((b) => b.rtpPort)).toEqual([pair]);
    expect(gateway.has(id)).toBe(false);
    expect(gateway.closes).toEqual([id]);
    expect(h.release.isEnding(id)).toBe(true);
    expect(h.pool.pairs.statusOf(pair)).toBe('taken');
    // the gateway refuses to open the lease again while its end waits for the ledger
    await expect(gateway.open(gateway.opens[0])).rejects.toThrow(/is ending/);

    await ledger.restore();
    const ended = await waitFor(
      async () => {
        const { lease } = await h.queries.get(id);
        return lease.state !== 'reserved' && lease;
      },
      'the end written once the ledger is back',
      30_000,
    );
    expect(ended).toMatchObject({ state: 'failed', releaseReason: 'ledger-unavailable' });
    await waitFor(() => h.pool.pairs.statusOf(pair) === 'free', 'the pair back in the free list');
    expect(h.release.isEnding(id)).toBe(false);
    expect(gateway.size).toBe(0);
  }, 90_000);
});
