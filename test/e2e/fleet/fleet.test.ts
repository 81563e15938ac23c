import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';
import { listeningOn } from '../../support/listening-by-address';

interface Lease {
  id: string;
  nodeId: string;
  rtpPort: number;
  rtcpPort: number;
  state: string;
  host: string;
}

// Three media hosts sharing one PostgreSQL ledger: the same MEDIA_PORT_RANGE, each on its own
// loopback address (Linux routes all of 127.0.0.0/8 to lo; no setup needed).
describe('a fleet of three nodes on one PostgreSQL ledger', () => {
  const block = portBlock(30);
  const PAIRS = 64;
  const range = block.range(PAIRS);
  const [from, to] = range.split('-').map(Number);
  const nodes = [
    { id: 'media-1', host: '127.0.0.1', http: block.http(0) },
    { id: 'media-2', host: '127.0.0.2', http: block.http(1) },
    { id: 'media-3', host: '127.0.0.3', http: block.http(2) },
  ];
  let db: TestDatabase;
  const svc: ServiceProcess[] = [];
  const leases = new Map<string, Lease[]>();
  const env = (n: (typeof nodes)[number]) => ({
    DATABASE_URL: db.url,
    NODE_ID: n.id,
    MEDIA_BIND_HOST: n.host,
    MEDIA_ADVERTISED_HOST: n.host,
    MEDIA_PORT_RANGE: range,
    HTTP_PORT: String(n.http),
  });
  const client = (i: number) => api(svc[i].baseUrl);

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    // One after another: the first one runs the migrations.
    for (const n of nodes) svc.push(await startService(env(n)));
  });
  afterAll(async () => {
    await Promise.all(svc.map((s) => s.kill9()));
    await db?.drop();
  });

  it('each node hands out every pair of its own range to 64 parallel requests, with no errors, on its own address', async () => {
    const results = await Promise.all(
      nodes.map((n, i) =>
        Promise.all(Array.from({ length: PAIRS }, (_, k) => client(i).post('/api/v1/leases', { streamId: `${n.id}-cam-${k}` }))),
      ),
    );
    results.forEach((rs, i) => {
      expect(rs.map((r) => r.status)).toEqual(Array(PAIRS).fill(201));
      const ls = rs.map((r) => r.body as Lease);
      leases.set(nodes[i].id, ls);
      expect(new Set(ls.map((l) => l.rtpPort)).size).toBe(PAIRS);
      expect(ls.every((l) => l.nodeId === nodes[i].id && l.host === nodes[i].host && l.state === 'listening')).toBe(true);
    });
    const everyPort = Array.from({ length: 2 * PAIRS }, (_, k) => from + k);
    for (const n of nodes) expect(listeningOn(n.host, from, to)).toEqual(everyPort);
    const full = await client(0).post('/api/v1/leases', { streamId: 'one-too-many' });
    expect(full).toMatchObject({ status: 503, body: { error: 'port_range_exhausted' } });
  });

  it('shows all 192 leases in the history from any node, and each node by nodeId', async () => {
    for (let i = 0; i < nodes.length; i++) {
      const all = await client(i).get('/api/v1/leases?state=active&limit=500');
      expect(all.body.items).toHaveLength(3 * PAIRS);
      for (const n of nodes) {
        const one = await client(i).get(`/api/v1/leases?nodeId=${n.id}&state=active&limit=500`);
        expect(new Set(one.body.items.map((l: Lease) => l.id))).toEqual(new Set(leases.get(n.id)!.map((l) => l.id)));
      }
    }
    const some = leases.get('media-3')![0];
    expect((await client(0).get(`/api/v1/leases/${some.id}`)).body).toMatchObject({ id: some.id, nodeId: 'media-3' });
    expect((await client(0).get(`/api/v1/leases/${some.id}/events`)).body.items.map((e: { type: string }) => e.type)).toEqual([
      'allocated',
      'listening',
    ]);
  });

  it('answers GET /ports for another node from the ledger, and for itself without nodeId', async () => {
    expect((await client(0).get('/api/v1/ports')).body).toMatchObject({ nodeId: 'media-1', pairs: PAIRS, leased: PAIRS, free: 0 });
    expect((await client(0).get('/api/v1/ports?nodeId=media-2')).body).toMatchObject({
      nodeId: 'media-2',
      range: { start: from, end: to },
      pairs: PAIRS,
      leased: PAIRS,
      free: 0,
    });
    expect((await client(0).get('/api/v1/ports?nodeId=media-9')).body).toMatchObject({ nodeId: 'media-9', leased: 0, free: PAIRS });
  });

  it("refuses to release or renew another node's lease with 409 foreign_node and touches no socket", async () => {
    const theirs = leases.get('media-2')![5];
    const del = await client(0).del(`/api/v1/leases/${theirs.id}`);
    expect(del).toMatchObject({ status: 409, body: { statusCode: 409, error: 'foreign_node', leaseId: theirs.id, nodeId: 'media-2' } });
    const renew = await client(2).post(`/api/v1/leases/${theirs.id}/renew`, { ttlSeconds: 60 });
    expect(renew).toMatchObject({ status: 409, body: { error: 'foreign_node' } });
    expect(listeningOn('127.0.0.2', theirs.rtpPort, theirs.rtcpPort)).toEqual([theirs.rtpPort, theirs.rtcpPort]);
    expect(listeningOn('127.0.0.1', theirs.rtpPort, theirs.rtcpPort)).toEqual([theirs.rtpPort, theirs.rtcpPort]);
    expect((await client(0).get(`/api/v1/leases/${theirs.id}`)).body.state).toBe('listening');
  });

  it('after kill -9 of one node and a restart, its leases resume and the other nodes are untouched', async () => {
    const eventsBefore = async (i: number) =>
      Promise.all(
        leases
          .get(nodes[i].id)!
          .slice(0, 8)
          .map(async (l) => (await client(i).get(`/api/v1/leases/${l.id}/events`)).body.items.length),
      );
    const before1 = await eventsBefore(0);
    const before3 = await eventsBefore(2);

    await svc[1].kill9();
    expect(listeningOn('127.0.0.2', from, to)).toEqual([]);
    expect(listeningOn('127.0.0.1', from, to)).toHaveLength(2 * PAIRS);
    expect(listeningOn('127.0.0.3', from, to)).toHaveLength(2 * PAIRS);

    svc[1] = await startService(env(nodes[1]));
    const active = await client(1).get('/api/v1/leases?nodeId=media-2&state=active&limit=500');
    expect(new Set(active.body.items.map((l: Lease) => l.id))).toEqual(new Set(leases.get('media-2')!.map((l) => l.id)));
    expect(listeningOn('127.0.0.2', from, to)).toHaveLength(2 * PAIRS);
    const resumed = await client(1).get(`/api/v1/leases/${leases.get('media-2')![0].id}/events`);
    expect(resumed.body.items.map((e: { type: string }) => e.type)).toContain('resumed-after-restart');

    expect(listeningOn('127.0.0.1', from, to)).toHaveLength(2 * PAIRS);
    expect(listeningOn('127.0.0.3', from, to)).toHaveLength(2 * PAIRS);
    expect(await eventsBefore(0)).toEqual(before1);
    expect(await eventsBefore(2)).toEqual(before3);
    for (const i of [0, 2]) {
      const mine = await client(i).get(`/api/v1/leases?nodeId=${nodes[i].id}&state=active&limit=500`);
      expect(mine.body.items).toHaveLength(PAIRS);
    }
    const health = await Promise.all(svc.map((s) => api(s.baseUrl).get('/health')));
    expect(health.map((h) => h.status)).toEqual([200, 200, 200]);
  });

  it("lists another node's reconcile reports through nodeId", async () => {
    const other = await client(0).get('/api/v1/reconcile/reports?nodeId=media-3&limit=5');
    expect(other.status).toBe(200);
    expect(other.body.items.length).toBeGreaterThan(0);
    expect(other.body.items.every((r: { nodeId: string }) => r.nodeId === 'media-3')).toBe(true);
  });
});
