import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk } from '../../fixtures/rtp/fixtures';
import { connectDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { startForeignListener } from '../../support/foreign-listener';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';
import { WebhookReceiver } from './support';

const SECRET = 'whsec-test';

describe.each(DB_KINDS)('webhooks on %s', (kind) => {
  const block = portBlock(36);
  // Both databases' runs share the block, one after the other: separate ranges and ports all the same.
  const offset = kind === 'sqlite' ? 0 : 100;
  const range = block.range(20, offset);
  const [first] = range.split('-').map(Number);
  const receiver = new WebhookReceiver(block.http(kind === 'sqlite' ? 5 : 6), SECRET);
  let db: TestDatabase;
  let svc: ServiceProcess;
  let rest: ReturnType<typeof api>;
  const env = () => ({
    DATABASE_URL: db.url,
    MEDIA_PORT_RANGE: range,
    HTTP_PORT: String(block.http(kind === 'sqlite' ? 0 : 1)),
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: SECRET,
    RECONCILE_MIN_AGE_S: '0',
    RECONCILE_INTERVAL_S: '3600',
  });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    await receiver.start();
    svc = await startService(env());
    rest = api(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.kill9();
    await receiver.stop();
    await db?.drop();
  });

  const deliveries = async (status: string) =>
    (await rest.get(`/api/v1/webhooks/deliveries?status=${status}&limit=500`)).body.items as any[];

  it('posts lease.listening, lease.streaming and lease.ended, each signed over its raw body', async () => {
    const lease = (await rest.post('/api/v1/leases', { streamId: 'hooked', ssrc: '0123456789' })).body;
    const device = await connectDevice(lease.rtpPort);
    await device.push(readOk('zlm-tcp-ps-rtp.bin').subarray(0, 50_000));
    await waitFor(async () => (await rest.get(`/api/v1/leases/${lease.id}`)).body.state === 'streaming', 'streaming');
    await device.end();
    await rest.del(`/api/v1/leases/${lease.id}`);

    const events = await waitFor(() => {
      const got = receiver.eventsFor(lease.id);
      return got.some((e) => e.type === 'lease.ended') ? got : null;
    }, 'lease.ended delivered');
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    // A batch of due events is delivered in parallel, so arrival order is not event order (the
    // device's end writes a second lease.listening just before the release's lease.ended): the
    // events are judged in the order they happened.
    const inOrder = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const types = inOrder.map((e) => e.type);
    expect(types[0]).toBe('lease.listening');
    expect(types).toContain('lease.streaming');
    const ended = events.find((e) => e.type === 'lease.ended');
    expect(events.every((e) => Date.parse(e.at) <= Date.parse(ended.at))).toBe(true);
    for (const e of events) {
      expect(e).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        nodeId: 'e2e',
        lease: { id: lease.id, streamId: 'hooked', rtpPort: lease.rtpPort },
      });
      expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    }
    expect(events.find((e) => e.type === 'lease.streaming').lease.state).toBe('streaming');
    expect(ended.lease).toMatchObject({ state: 'released', releaseReason: 'client', releasedAt: expect.any(String) });
    expect(ended.lease.stats.packets).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('reports a reconcile pass that acted, as reconcile.findings with the report', async () => {
    const foreign = await startForeignListener(first + 38);
    try {
      await rest.post('/api/v1/reconcile');
      const report = (await rest.post('/api/v1/reconcile')).body;
      expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'foreign-occupant', action: 'quarantined' }));
      const [event] = await waitFor(
        () => (receiver.eventsFor(report.id).length ? receiver.eventsFor(report.id) : null),
        'reconcile.findings delivered',
      );
      expect(event).toMatchObject({ type: 'reconcile.findings', nodeId: 'e2e', report: { id: report.id, findings: report.findings } });
    } finally {
      await foreign.kill();
    }
  });

  it('never holds up a lease call while the receiver hangs', async () => {
    receiver.hang = true;
    try {
      const created = await rest.post('/api/v1/leases', { streamId: 'receiver-hangs' });
      expect(created.status).toBe(201);
      expect((await rest.del(`/api/v1/leases/${created.body.id}`)).status).toBe(200);
    } finally {
      receiver.hang = false;
    }
  });

  it('keeps events while the receiver is down, shows them pending with the error, and delivers them once it is back', async () => {
    await receiver.stop();
    const lease = (await rest.post('/api/v1/leases', { streamId: 'receiver-down' })).body;
    await rest.del(`/api/v1/leases/${lease.id}`);
    const pending = await waitFor(async () => {
      const items = (await deliveries('pending')).filter((d) => d.subjectId === lease.id);
      return items.length === 2 && items.every((d) => d.attempts >= 1) ? items : null;
    }, 'both events tried and pending');
    expect(pending.map((d) => d.type).sort()).toEqual(['lease.ended', 'lease.listening']);
    for (const d of pending)
      expect(d).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/ECONNREFUSED/), nextAttemptAt: expect.any(String) });

    await receiver.start();
    const got = await waitFor(
      () => (receiver.eventsFor(lease.id).length === 2 ? receiver.eventsFor(lease.id) : null),
      'delivered after the receiver came back',
      30_000,
    );
    expect(got.map((e) => e.id).sort()).toEqual(pending.map((d) => d.id).sort());
    await waitFor(async () => (await deliveries('delivered')).filter((d) => d.subjectId === lease.id).length === 2, 'listed as delivered');
  });

  it('delivers events that were still pending when the service was killed, after a restart', async () => {
    await receiver.stop();
    const lease = (await rest.post('/api/v1/leases', { streamId: 'killed-while-pending' })).body;
    await rest.del(`/api/v1/leases/${lease.id}`);
    const pending = await waitFor(async () => {
      const items = (await deliveries('pending')).filter((d) => d.subjectId === lease.id);
      return items.length === 2 && items.every((d) => d.attempts >= 1) ? items : null;
    }, 'both events tried and pending');

    await svc.kill9();
    await receiver.start();
    svc = await startService(env());
    rest = api(svc.baseUrl);

    const got = await waitFor(
      () => (receiver.eventsFor(lease.id).length === 2 ? receiver.eventsFor(lease.id) : null),
      'delivered after the restart',
      30_000,
    );
    expect(got.map((e) => e.id).sort()).toEqual(pending.map((d) => d.id).sort());
    expect(got.map((e) => e.type).sort()).toEqual(['lease.ended', 'lease.listening']);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
  });

  it('does not serve the ZLMediaKit-compatible API without ZLM_API_SECRET', async () => {
    expect((await fetch(`${svc.baseUrl}/index/api/listRtpServer?secret=x`)).status).toBe(404);
  });

  it('rejects an unknown status filter naming the field', async () => {
    const r = await rest.get('/api/v1/webhooks/deliveries?status=lost');
    expect(r.status).toBe(400);
    expect(r.body.fields.map((f: { field: string }) => f.field)).toEqual(['status']);
  });
});
