import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { connectDevice, type TestDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { createTestDatabase, PG_BASE_URL, type TestDatabase } from '../../support/test-databases';

// PostgreSQL only by nature: an embedded SQLite file cannot become unreachable. The service
// reaches its schema through a TCP proxy that the test cuts and restores; the machine's
// PostgreSQL server (shared with other tests) is never stopped.
const PACKETS = rfc4571Packets(readOk('zlm-tcp-ps-rtp.bin'));

describe('PostgreSQL connection failures', () => {
  const block = portBlock(33);
  const range = block.range(40);
  const pg = new URL(PG_BASE_URL);
  let db: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let svc: ServiceProcess | undefined;
  const devices: TestDevice[] = [];

  afterEach(async () => {
    for (const d of devices.splice(0)) d.socket.destroy();
    await svc?.kill9();
    svc = undefined;
    await proxy?.close();
    proxy = undefined;
    await db?.drop();
    db = undefined;
  });
  afterAll(async () => {
    await svc?.kill9();
  });

  const begin = async (httpIndex: number) => {
    db = await createTestDatabase('postgres');
    proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    return {
      DATABASE_URL: proxy.url(db.url),
      MEDIA_PORT_RANGE: range,
      HTTP_PORT: String(block.http(httpIndex)),
      RECONCILE_INTERVAL_S: '1',
    };
  };

  it('starts while PostgreSQL is unreachable: retries and says so, /health reports the database down, the API answers 503 starting; then serves once it is back', async () => {
    const env = await begin(0);
    await proxy!.cut();
    const starting = startService(env, { timeoutMs: 60_000 });
    const client = api(`http://127.0.0.1:${env.HTTP_PORT}`);

    const down = await waitFor(
      async () => {
        const r = await client.get('/health');
        return r.status === 503 && r.body.details.database.connectAttempts >= 2 ? r : null;
      },
      '/health reporting repeated connect attempts',
      20_000,
    );
    expect(down.body).toMatchObject({
      status: 'error',
      error: { database: { status: 'down', dialect: 'postgres' }, boot: { status: 'down', phase: 'starting' } },
    });
    expect(down.body.details.database.lastConnectError).toMatch(/ECONNREFUSED|connect/i);
    const api503 = await client.get('/api/v1/ports');
    expect(api503).toMatchObject({ status: 503, body: { statusCode: 503, error: 'starting' } });
    const lease503 = await client.post('/api/v1/leases', { streamId: 'too-early' });
    expect(lease503).toMatchObject({ status: 503, body: { error: 'starting' } });

    await proxy!.restore();
    svc = await starting;
    expect(svc.output()).toMatch(/ledger database unreachable \(attempt 1\)/);
    expect(svc.output()).toMatch(/ledger database reachable after \d+ attempts/);
    const up = await waitFor(async () => {
      const r = await client.get('/health');
      return r.status === 200 ? r : null;
    }, '/health 200');
    expect(up.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, boot: { status: 'up' }, listeners: { status: 'up' } },
    });
    expect((await client.post('/api/v1/leases', { streamId: 'after-start' })).status).toBe(201);
  });

  it('while PostgreSQL is down: allocations answer 503 ledger_unavailable, a live stream keeps flowing, a release closes its sockets at once and lands when the database is back, without a restart', async () => {
    const env = await begin(1);
    svc = await startService(env);
    const pid = svc.child.pid;
    const client = api(svc.baseUrl);
    const live = (await client.post('/api/v1/leases', { streamId: 'live-cam' })).body;
    const ending = (await client.post('/api/v1/leases', { streamId: 'ending-cam' })).body;
    const late = (await client.post('/api/v1/leases', { streamId: 'late-cam' })).body;
    expect([live.state, ending.state, late.state]).toEqual(['listening', 'listening', 'listening']);

    const half = 1200;
    const device = await connectDevice(live.rtpPort);
    devices.push(device);
    await device.push(toRfc4571(PACKETS.slice(0, half)), { seed: 3 });
    await waitFor(async () => (await client.get(`/api/v1/leases/${live.id}`)).body.stats?.packets === half, 'first half counted');

    await proxy!.cut();

    const refused = await client.post('/api/v1/leases', { streamId: 'during-outage' });
    expect(refused).toMatchObject({ status: 503, body: { statusCode: 503, error: 'ledger_unavailable' } });
    const health = await client.get('/health');
    expect(health.status).toBe(503);
    expect(health.body.error.database).toMatchObject({ status: 'down' });
    expect(health.body.info.listeners).toMatchObject({ status: 'up', checked: false });

    // The device keeps pushing into the same connection while the ledger is away.
    await device.push(toRfc4571(PACKETS.slice(half)), { seed: 4 });
    expect(device.isClosed()).toBe(false);
    // Another device starts streaming while the ledger is away: its `streaming` cannot be written now.
    const lateDevice = await connectDevice(late.rtpPort);
    devices.push(lateDevice);
    await lateDevice.push(toRfc4571(PACKETS.slice(0, 100)), { seed: 5 });

    const release = await client.del(`/api/v1/leases/${ending.id}`);
    expect(release).toMatchObject({ status: 503, body: { error: 'ledger_unavailable' } });
    expect(listeningPorts(ending.rtpPort, ending.rtcpPort)).toEqual([]);
    expect(listeningPorts(live.rtpPort, live.rtcpPort)).toEqual([live.rtpPort, live.rtcpPort]);
    expect((await client.get('/api/v1/leases?limit=5')).body).toMatchObject({ error: 'ledger_unavailable' });

    await proxy!.restore();

    const ended = await waitFor(async () => {
      const r = await client.get(`/api/v1/leases/${ending.id}`);
      return r.status === 200 && r.body.state === 'released' ? r.body : null;
    }, 'the release written once the ledger is back');
    expect(ended.releaseReason).toBe('client');
    const stats = await waitFor(async () => {
      const r = await client.get(`/api/v1/leases/${live.id}`);
      return r.body.stats?.packets === PACKETS.length ? r.body : null;
    }, 'every packet of the stream counted');
    expect(stats).toMatchObject({ state: 'streaming', stats: { connected: true, reconnects: 0, lost: 0 } });
    // …and is written once the ledger is back: the row never says `listening` while media flows.
    await waitFor(
      async () => (await client.get(`/api/v1/leases/${late.id}`)).body.state === 'streaming',
      'the late streaming state written',
    );

    const events = (await client.get(`/api/v1/leases/${ending.id}/events`)).body.items.map((e: { type: string }) => e.type);
    expect(events).toEqual(['allocated', 'listening', 'released']);
    expect((await client.get('/api/v1/ports')).body).toMatchObject({ leased: 2, free: 38 });
    const again = await client.post('/api/v1/leases', { streamId: 'after-outage' });
    expect(again.status).toBe(201);
    expect(again.body.rtpPort).not.toBe(live.rtpPort);
    await waitFor(async () => (await client.get('/health')).status === 200, '/health 200 again');
    expect(svc.child.pid).toBe(pid);
    expect(svc.child.exitCode).toBeNull();
  });
});
