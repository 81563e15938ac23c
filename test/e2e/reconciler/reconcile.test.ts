import { afterEach, describe, expect, it } from 'vitest';
import { startForeignListener, type ForeignListener } from '../../support/foreign-listener';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';
import { waitFor } from '../../support/wait-for';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(DB_KINDS)('the reconciler of a running service on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 22 : 23);
  const services: ServiceProcess[] = [];
  const foreign: ForeignListener[] = [];
  const dbs: TestDatabase[] = [];

  afterEach(async () => {
    await Promise.all(foreign.splice(0).map((f) => f.kill()));
    await Promise.all(services.splice(0).map((s) => s.kill9()));
    await Promise.all(dbs.splice(0).map((d) => d.drop()));
  });

  const start = async (range: string, http: number) => {
    const db = await createTestDatabase(kind);
    dbs.push(db);
    const svc = await startService({
      DATABASE_URL: db.url,
      HTTP_PORT: String(http),
      MEDIA_PORT_RANGE: range,
      RECONCILE_INTERVAL_S: '1',
      RECONCILE_MIN_AGE_S: '0',
    });
    services.push(svc);
    return api(svc.baseUrl);
  };
  const quarantineOf = async (client: ReturnType<typeof api>, rtpPort: number) =>
    (
      (await client.get('/api/v1/ports')).body.quarantine as Array<{
        rtpPort: number;
        owner: { pid: number | null; command: string | null };
      }>
    ).find((q) => q.rtpPort === rtpPort);

  it('skips and quarantines a pair a process held before the service started, with its pid and command, and hands it out again once it is gone', async () => {
    const range = block.range(3);
    const { start: p0 } = rangeOf(range);
    const child = await startForeignListener(p0);
    foreign.push(child);
    const client = await start(range, block.http(0));

    const a = await client.post('/api/v1/leases', { streamId: 'before-a' });
    expect(a.status).toBe(201);
    expect(a.body.rtpPort).not.toBe(p0);
    const entry = await waitFor(async () => {
      const q = await quarantineOf(client, p0);
      return q?.owner.pid === child.pid && q;
    }, 'the owner in the quarantine');
    expect(entry.owner.command).toMatch(/node/);

    await child.kill();
    await waitFor(async () => !(await quarantineOf(client, p0)), 'the quarantine to clear');
    // A pass clears the quarantine row before it stores its report: wait for the report too.
    const cleared = await waitFor(async () => {
      const reports = await client.get('/api/v1/reconcile/reports?withFindings=true&limit=100');
      const found = reports.body.items
        .flatMap((r: { findings: unknown[] }) => r.findings)
        .filter((f: { kind: string; action: string }) => f.kind === 'quarantine-cleared' && f.action !== 'pending');
      return found.length > 0 && found;
    }, 'the report of the pass that cleared the quarantine');
    expect(cleared).toEqual([expect.objectContaining({ port: p0, action: 'cleared', leaseId: null })]);

    const b = await client.post('/api/v1/leases', { streamId: 'before-b' });
    const c = await client.post('/api/v1/leases', { streamId: 'before-c' });
    expect([b.status, c.status]).toEqual([201, 201]);
    expect([b.body.rtpPort, c.body.rtpPort]).toContain(p0);
    expect(listeningPorts(p0, p0 + 1)).toEqual([p0, p0 + 1]);
  });

  it('finds a process that starts listening in the range while the service runs, without waiting for an allocation to trip on it', async () => {
    const range = block.range(3, 20);
    const p1 = rangeOf(range).start + 2;
    const client = await start(range, block.http(1));
    const child = await startForeignListener(p1);
    foreign.push(child);

    const entry = await waitFor(() => quarantineOf(client, p1), 'the quarantine');
    expect(entry.owner).toMatchObject({ pid: child.pid, command: expect.stringMatching(/node/) });
    const leases = [
      await client.post('/api/v1/leases', { streamId: 'after-a' }),
      await client.post('/api/v1/leases', { streamId: 'after-b' }),
    ];
    expect(leases.map((l) => l.body.rtpPort)).not.toContain(p1);
    expect((await client.post('/api/v1/leases', { streamId: 'after-c' })).status).toBe(503);

    await child.kill();
    await waitFor(async () => !(await quarantineOf(client, p1)), 'the quarantine to clear');
    const c = await client.post('/api/v1/leases', { streamId: 'after-c' });
    expect(c.status).toBe(201);
    expect(c.body.rtpPort).toBe(p1);

    const summary = await client.get('/api/v1/reconcile/summary');
    expect(summary.body.findings['foreign-occupant']).toMatchObject({ quarantined: 1 });
    expect(summary.body.findings['quarantine-cleared']).toMatchObject({ cleared: 1 });
    expect(summary.body.passes).toBeGreaterThan(2);
  });

  it('runs a pass on request and serves its report by id', async () => {
    const client = await start(block.range(2, 40), block.http(2));
    const run = await client.post('/api/v1/reconcile');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ nodeId: 'e2e', checkedPorts: 4, deferred: false, findings: [] });
    expect(run.body.id).toMatch(UUID);
    expect((await client.get(`/api/v1/reconcile/reports/${run.body.id}`)).body).toEqual(run.body);
    expect((await client.get('/api/v1/reconcile/reports/00000000-0000-4000-8000-000000000000')).body).toMatchObject({
      statusCode: 404,
      error: 'report_not_found',
    });
    const bad = await client.get('/api/v1/reconcile/reports?withFindings=maybe&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['limit', 'withFindings']);
  });
});

describe.each(DB_KINDS)('a crash between the ledger insert and the listen on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 24 : 25);
  const range = block.range(3);
  const { start, end } = rangeOf(range);
  let db: TestDatabase;
  const services: ServiceProcess[] = [];

  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.kill9()));
    await db?.drop();
  });

  const boot = async (extra: Record<string, string> = {}) => {
    const svc = await startService({
      DATABASE_URL: db.url,
      HTTP_PORT: String(block.http()),
      MEDIA_PORT_RANGE: range,
      RECONCILE_INTERVAL_S: '1',
      ...extra,
    });
    services.push(svc);
    return { svc, client: api(svc.baseUrl) };
  };

  it('leaves no double allocation after a kill -9, and the pair comes back', async () => {
    db = await createTestDatabase(kind);
    const first = await boot({ PORTLEDGER_TEST_DELAY_AFTER_INSERT_MS: '5000' });
    const pending = first.client.post('/api/v1/leases', { streamId: 'crash' }).catch(() => null);
    const reserved = await waitFor(async () => (await first.client.get('/api/v1/leases?state=reserved')).body.items[0], 'the reserved row');
    expect(listeningPorts(reserved.rtpPort, reserved.rtcpPort)).toEqual([]);
    await first.svc.kill9();
    await pending;
    services.splice(0);

    const second = await boot();
    const active = (await second.client.get('/api/v1/leases?state=active&streamId=crash')).body.items;
    expect(active).toEqual([expect.objectContaining({ id: reserved.id, rtpPort: reserved.rtpPort, state: 'listening' })]);
    expect(listeningPorts(start, end)).toEqual([reserved.rtpPort, reserved.rtcpPort]);
    const again = await second.client.post('/api/v1/leases', { streamId: 'crash' });
    expect(again).toMatchObject({ status: 200, body: { id: reserved.id } });

    expect((await second.client.del(`/api/v1/leases/${reserved.id}`)).status).toBe(200);
    expect(listeningPorts(start, end)).toEqual([]);
    const ports = (await second.client.get('/api/v1/ports')).body;
    expect(ports).toMatchObject({ pairs: 3, free: 3, leased: 0, quarantined: 0 });
    const all = [];
    for (const s of ['x', 'y', 'z']) all.push((await second.client.post('/api/v1/leases', { streamId: s })).body.rtpPort);
    expect(all.sort()).toEqual([start, start + 2, start + 4].sort());
    const reports = (await second.client.get('/api/v1/reconcile/reports?withFindings=true')).body.items;
    expect(reports).toEqual([]);
  });
});
