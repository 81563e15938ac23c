import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';

// Block 27 is shared with test/medium/ledger/query-plans.test.ts, which uses its first 240 ports.
const block = portBlock(27);

/** Every endpoint that takes a keyset cursor, and those that take from/to. */
const CURSOR_PATHS = ['/api/v1/leases', '/api/v1/reconcile/reports', '/api/v1/webhooks/deliveries'];
const TIME_PATHS = ['/api/v1/leases', '/api/v1/reconcile/reports', '/api/v1/reconcile/summary'];

describe('cursors, times and lease events over REST', () => {
  let db: TestDatabase;
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;
  let leaseId: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({ DATABASE_URL: db.url, MEDIA_PORT_RANGE: block.range(10, 260), HTTP_PORT: String(block.http()) });
    client = api(svc.baseUrl);
    leaseId = (await client.post('/api/v1/leases', { streamId: 'events-1' })).body.id;
    for (let i = 0; i < 5; i++) expect((await client.post(`/api/v1/leases/${leaseId}/renew`, { ttlSeconds: 600 + i })).status).toBe(200);
    await client.post('/api/v1/leases', { streamId: 'events-2' });
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  const fieldsOf = (body: { fields?: Array<{ field: string }> }) => (body.fields ?? []).map((f) => f.field);

  it.each(CURSOR_PATHS.flatMap((p) => ['AAAA', 'x', 'MTIzOmFiYw==', 'MTIzOmFiY', 'MTIzOmFiYwA', '_-_-'].map((c) => [p, c])))(
    '%s?cursor=%s is a 400 naming cursor',
    async (path, cursor) => {
      const r = await client.get(`${path}?cursor=${cursor}`);
      expect(r.status).toBe(400);
      expect(fieldsOf(r.body)).toEqual(['cursor']);
    },
  );

  it('GET /leases/:id/events?cursor= with a history cursor (or junk) is a 400 naming cursor', async () => {
    const history = await client.get('/api/v1/leases?limit=1');
    expect(history.body.nextCursor).toEqual(expect.any(String));
    for (const c of [history.body.nextCursor, 'AAAA', 'YWZ0ZXI6MQ==']) {
      const r = await client.get(`/api/v1/leases/${leaseId}/events?cursor=${c}`);
      expect(r.status, c).toBe(400);
      expect(fieldsOf(r.body)).toEqual(['cursor']);
    }
  });

  it('a nextCursor handed out pages on (history: newest first, no repeats)', async () => {
    const p1 = await client.get('/api/v1/leases?limit=1');
    const p2 = await client.get(`/api/v1/leases?limit=1&cursor=${p1.body.nextCursor}`);
    expect(p2.status).toBe(200);
    expect(p2.body.items[0].id).not.toBe(p1.body.items[0].id);
  });

  it.each(
    TIME_PATHS.flatMap((p) =>
      ['from', 'to'].flatMap((f) =>
        [
          '9999999999999999',
          '99999999999999999999',
          '-1',
          '1969-12-31T23:59:59Z',
          '+275760-09-13T00:00:00Z',
          '10000-01-01T00:00:00Z',
          'yesterday',
          '1e3',
        ].map((v) => [p, f, v]),
      ),
    ),
  )('%s?%s=%s is a 400 naming the field', async (path, field, value) => {
    const r = await client.get(`${path}?${field}=${encodeURIComponent(value)}`);
    expect(r.status).toBe(400);
    expect(fieldsOf(r.body)).toEqual([field]);
  });

  it('the edges of the time range are accepted and echoed back', async () => {
    const r = await client.get(`/api/v1/reconcile/summary?from=0&to=${encodeURIComponent('9999-12-31T23:59:59.999Z')}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ from: '1970-01-01T00:00:00.000Z', to: '9999-12-31T23:59:59.999Z' });
  });

  it('GET /leases/:id/events pages oldest first with limit and nextCursor', async () => {
    const all = await client.get(`/api/v1/leases/${leaseId}/events`);
    expect(all.status).toBe(200);
    const types = all.body.items.map((e: { type: string }) => e.type);
    expect(types).toEqual(['allocated', 'listening', 'renewed', 'renewed', 'renewed', 'renewed', 'renewed']);
    expect(all.body.nextCursor).toBeNull();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await client.get(`/api/v1/leases/${leaseId}/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.items.map((e: { type: string; detail: unknown }) => JSON.stringify(e)));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((e: unknown) => JSON.stringify(e)));
  });

  it.each(['0', '1001', 'x', '-1'])('GET /leases/:id/events?limit=%s is a 400 naming limit', async (limit) => {
    const r = await client.get(`/api/v1/leases/${leaseId}/events?limit=${limit}`);
    expect(r.status).toBe(400);
    expect(fieldsOf(r.body)).toEqual(['limit']);
  });
});
