import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';

const STREAMS = ['h0', 'h1', 'h2', 'h3'];
const ROUNDS = 40;

/** A fixed-seed generator, so a failing run can be replayed with the same interleavings asked for. */
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.each(DB_KINDS)('concurrent POST and DELETE by streamId on %s', (kind) => {
  const block = portBlock(16);
  // 20 pairs; SQLite and PostgreSQL in separate halves of the block
  const range = block.range(20, kind === 'sqlite' ? 0 : 200);
  const [from, to] = range.split('-').map(Number);
  let db: TestDatabase;
  let svc: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: range,
      HTTP_PORT: String(block.http(kind === 'sqlite' ? 0 : 1)),
      LOG_LEVEL: 'warn',
      // widens the insert→listen window, so DELETEs land in it often
      PORTLEDGER_TEST_DELAY_AFTER_INSERT_MS: '40',
      RECONCILE_INTERVAL_S: '3600',
    });
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  it('leaves exactly the active leases listening, and quarantines nothing', async () => {
    const client = api(svc!.baseUrl);
    const rnd = seeded(kind === 'sqlite' ? 1 : 2);
    const statuses = new Map<string, number>();
    const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
    for (let round = 0; round < ROUNDS; round++) {
      const requests: Array<Promise<void>> = [];
      for (const streamId of STREAMS) {
        const ops = rnd() < 0.5 ? ['post', 'del'] : ['del', 'post'];
        if (rnd() < 0.3) ops.push('del');
        for (const op of ops) {
          // each request starts at a random moment of the round, so DELETEs land anywhere in an allocation
          const startIn = Math.floor(rnd() * 120);
          const call = () =>
            op === 'post' ? client.post('/api/v1/leases', { streamId }) : client.del(`/api/v1/leases?streamId=${streamId}`);
          requests.push(
            sleep(startIn)
              .then(call)
              .then((r) => void count(`${op} ${r.status}`)),
          );
        }
      }
      await Promise.all(requests);
    }
    // every request has been answered: the ledger and the OS must agree exactly
    const active = await client.get(`/api/v1/leases?state=active&limit=100`);
    const held = active.body.items
      .flatMap((l: { rtpPort: number; rtcpPort: number }) => [l.rtpPort, l.rtcpPort])
      .sort((a: number, b: number) => a - b);
    expect(listeningPorts(from, to)).toEqual(held);
    expect((await client.get('/api/v1/ports')).body).toMatchObject({ quarantined: 0, quarantine: [] });
    // a POST is answered 201 (new lease, possibly as its racing DELETE ended it) or 200 (the active one)
    for (const what of statuses.keys()) expect(['post 201', 'post 200', 'del 200', 'del 404']).toContain(what);
    expect(statuses.get('post 201')).toBeGreaterThan(0);
  }, 120_000);
});
