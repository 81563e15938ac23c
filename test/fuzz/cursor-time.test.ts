import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../support/port-blocks';
import { api, startService, type ServiceProcess } from '../support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/test-databases';
import { CASES, int, mutate, prng, SEED, sendTo, TIMEOUT_MS } from './fuzz-support';

// Block 27 is shared with test/medium/ledger/query-plans.test.ts and test/e2e/api/query-params.test.ts (other ports of it).
const block = portBlock(27);

/** Every endpoint that takes a cursor or a time, and which of the two it takes. */
const ENDPOINTS: Array<{ path: (leaseId: string) => string; params: Array<'cursor' | 'from' | 'to'> }> = [
  { path: () => '/api/v1/leases', params: ['cursor', 'from', 'to'] },
  { path: () => '/api/v1/reconcile/reports', params: ['cursor', 'from', 'to'] },
  { path: () => '/api/v1/reconcile/summary', params: ['from', 'to'] },
  { path: () => '/api/v1/webhooks/deliveries', params: ['cursor'] },
  { path: (id) => `/api/v1/leases/${id}/events`, params: ['cursor'] },
];

/** A cursor: a real one, a mutant of one (bytes of the text or of what it decodes to), or made up. */
function cursor(random: () => number, real: string[]): string {
  const good = real[int(random, 0, real.length - 1)];
  switch (int(random, 0, 5)) {
    case 0:
      return good;
    case 1:
      return mutate(random, Buffer.from(good), 300).toString('latin1');
    case 2:
      return mutate(random, Buffer.from(good, 'base64url'), 300).toString('base64url');
    case 3: {
      const n = ['0', '-1', '9'.repeat(int(random, 1, 30)), '1e3', '', String(int(random, 0, 2 ** 53))][int(random, 0, 5)];
      const id = ['x', '', 'a'.repeat(int(random, 60, 70)), '00000000-0000-0000-0000-000000000000', '../', 'é'][int(random, 0, 5)];
      return Buffer.from([`${n}:${id}`, `after:${n}`, `after:${n}:${id}`, n][int(random, 0, 3)], 'utf8').toString(
        random() < 0.8 ? 'base64url' : 'base64',
      );
    }
    case 4:
      return good + ['=', '==', 'A', '%00', ' ', '.'][int(random, 0, 5)];
    default:
      return ['AAAA', '', 'null', '%', '%E0%A4%A', 'x'.repeat(int(random, 190, 400))][int(random, 0, 5)];
  }
}

/** A time: epoch ms at and past every edge, ISO-8601 in and out of range, and text that is neither. */
function time(random: () => number): string {
  const edges = [0, -1, 1, 253402300799999, 253402300800000, 8.64e15, 8.64e15 + 1, 2 ** 53, 2 ** 53 + 1, 1e21, Date.now()];
  switch (int(random, 0, 4)) {
    case 0:
      return String(edges[int(random, 0, edges.length - 1)] + int(random, -2, 2));
    case 1:
      return String(int(random, 0, 9)).repeat(int(random, 1, 25));
    case 2: {
      const year = [0, 1, 1969, 1970, 2024, 9999, 10000, 99999, 275760, 275761, -1][int(random, 0, 10)];
      const y =
        year < 0 || year > 9999 ? `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}` : String(year).padStart(4, '0');
      return `${y}-${String(int(random, 0, 13)).padStart(2, '0')}-${String(int(random, 0, 32)).padStart(2, '0')}T${int(random, 0, 25)}:00:00${['Z', '+14:00', '-12:00', '.999Z', ''][int(random, 0, 4)]}`;
    }
    case 3:
      return mutate(random, Buffer.from(new Date(int(random, 0, 253402300799999)).toISOString()), 64).toString('latin1');
    default:
      return ['yesterday', 'NaN', 'Infinity', '-0', '0x10', '1e3', ' 1', '', 'now', '２０２４'][int(random, 0, 9)];
  }
}

describe(`cursor and time fuzz (${CASES} requests, seed ${SEED})`, () => {
  let db: TestDatabase;
  let svc: ServiceProcess;
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  const real: string[] = [];
  let leaseId = '';

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: block.range(5, 300),
      HTTP_PORT: String(block.http(1)),
      LOG_LEVEL: 'error',
    });
    const client = api(svc.baseUrl);
    // Enough rows that every listing hands out real cursors to mutate.
    for (let i = 0; i < 3; i++) {
      const lease = (await client.post('/api/v1/leases', { streamId: `fz-cursor-${i}` })).body;
      leaseId = lease.id;
      await client.post(`/api/v1/leases/${lease.id}/renew`, { ttlSeconds: 600 });
      await client.del(`/api/v1/leases/${lease.id}`);
    }
    await client.post('/api/v1/reconcile');
    await client.post('/api/v1/reconcile');
    for (const p of ['/api/v1/leases?limit=1', '/api/v1/reconcile/reports?limit=1', `/api/v1/leases/${leaseId}/events?limit=1`]) {
      const c = (await client.get(p)).body.nextCursor;
      expect(c, p).toEqual(expect.any(String));
      real.push(c);
    }
  });
  afterAll(async () => {
    agent.destroy();
    await svc?.stop();
    await db?.drop();
  });

  const get = (path: string) => sendTo(block.http(1), agent, { method: 'GET', path });

  /** Case i, reproducible alone from (SEED, i). */
  function fuzzPath(i: number): { path: string; sent: string[] } {
    const random = prng(SEED * 104729 + i);
    const e = ENDPOINTS[int(random, 0, ENDPOINTS.length - 1)];
    const sent = e.params.filter(() => random() < 0.6);
    if (sent.length === 0) sent.push(e.params[int(random, 0, e.params.length - 1)]);
    const query = sent.map((p) => `${p}=${encodeURIComponent(p === 'cursor' ? cursor(random, real) : time(random))}`).join('&');
    return { path: `${e.path(leaseId)}?${query}`, sent };
  }

  it(
    'answers every cursor and time with 200, or 400 naming only fields it was sent; never 5xx',
    async () => {
      const kept: string[] = [];
      let problems = 0;
      const statuses: Record<number, number> = {};
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < CASES; i = next++) {
          const { path, sent } = fuzzPath(i);
          let res;
          try {
            res = await get(path);
          } catch (err) {
            if (problems++ < 10) kept.push(`case ${i} (seed ${SEED}) ${path}: ${String(err)}`);
            continue;
          }
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const repro = `case ${i} (seed ${SEED}) ${path} → ${res.status} ${res.text.slice(0, 200)}`;
          let ok = res.status === 200;
          if (res.status === 400) {
            const fields: string[] = (JSON.parse(res.text).fields ?? []).map((f: { field: string }) => f.field);
            ok = fields.length > 0 && fields.every((f) => sent.includes(f as never));
          }
          if (!ok && problems++ < 10) kept.push(repro);
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      console.log(`cursor/time fuzz: ${CASES} requests, statuses ${JSON.stringify(statuses)}, ${problems} problems`);
      expect(kept).toEqual([]);
      expect(svc.child.exitCode).toBeNull();
      // both sides of the line were exercised
      expect(statuses[200] ?? 0).toBeGreaterThan(0);
      expect(statuses[400] ?? 0).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
