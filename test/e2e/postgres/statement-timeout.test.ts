import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, type TestDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { createTestDatabase, PG_BASE_URL, type TestDatabase } from '../../support/test-databases';

// A black-holed network, unlike a refused connection, gives no error at all: without a
// statement timeout and a client-side query timeout a request waits forever. The service
// reaches its own schema through a proxy that stops forwarding (and later forwards again).
const TIMEOUT_MS = 8000;
/** far longer than the service may take: an answer that does not come in this time is a hang */
const HANG_MS = 30_000;

/** `ss` lines of the established TCP connections that process `pid` holds to `port`. */
function connectionsTo(pid: number, port: number): string[] {
  const out = execFileSync('ss', ['-tnpoH', 'state', 'established', 'dport', `= :${port}`], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(`pid=${pid},`));
}

describe('PostgreSQL black-holed (no answer, no error)', () => {
  const block = portBlock(45);
  const pg = new URL(PG_BASE_URL);
  let db: TestDatabase;
  let proxy: TcpProxy;
  let svc: ServiceProcess | undefined;
  let device: TestDevice | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  });
  afterAll(async () => {
    device?.socket.destroy();
    await svc?.kill9();
    await proxy?.close();
    await db?.drop();
  });

  /** A request that must be answered; one that hangs fails the test instead of the test timing out. */
  const answered = async <T>(what: string, request: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${HANG_MS} ms`)), HANG_MS)),
    );
    try {
      return await Promise.race([request, hang]);
    } finally {
      clearTimeout(timer);
    }
  };

  it('turns TCP keepalive on for every connection it holds to PostgreSQL (a vanished peer is noticed on an idle connection)', async () => {
    const direct = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: block.range(20, 100),
      HTTP_PORT: String(block.http(1)),
      LOG_LEVEL: 'warn',
    });
    try {
      const client = api(direct.baseUrl);
      // the reads, the writes and the cold reads each open their connections
      const lease = (await client.post('/api/v1/leases', { streamId: 'keepalive-cam' })).body;
      expect((await client.get(`/api/v1/leases?streamId=keepalive-cam`)).status).toBe(200);
      expect((await client.del(`/api/v1/leases/${lease.id}`)).status).toBe(200);
      const held = connectionsTo(direct.child.pid!, Number(pg.port || 5432));
      expect(held.length).toBeGreaterThanOrEqual(3);
      expect(held.filter((line) => !line.includes('timer:(keepalive,'))).toEqual([]);
    } finally {
      await direct.kill9();
    }
  });

  it("answers allocations 503 ledger_unavailable after DB_STATEMENT_TIMEOUT_MS, closes a released lease's sockets at once, and recovers when packets flow again", async () => {
    svc = await startService({
      DATABASE_URL: proxy.url(db.url),
      MEDIA_PORT_RANGE: block.range(20),
      HTTP_PORT: String(block.http(0)),
      DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS),
      LOG_LEVEL: 'warn',
    });
    const client = api(svc.baseUrl);
    const ending = (await client.post('/api/v1/leases', { streamId: 'ending-cam' })).body;
    expect(ending.state).toBe('listening');
    device = await connectDevice(ending.rtpPort);
    await waitFor(async () => (await client.get(`/api/v1/leases/${ending.id}`)).body.stats?.connected === true, 'device connected');

    proxy.blackhole();

    const refused = await answered(
      'an allocation while the database black-holes',
      client.post('/api/v1/leases', { streamId: 'during-blackhole' }),
    );
    expect(refused).toMatchObject({ status: 503, body: { statusCode: 503, error: 'ledger_unavailable' } });

    // The release: its sockets close at once, long before its statements could time out.
    let released = false;
    const release = client.del(`/api/v1/leases/${ending.id}`).finally(() => (released = true));
    await waitFor(
      () => listeningPorts(ending.rtpPort, ending.rtcpPort).length === 0,
      'the listeners closed in /proc/net/tcp',
      TIMEOUT_MS / 2,
    );
    await answered('the device connection closed', device.closed);
    expect(released).toBe(false);
    expect(await answered('the release while the database black-holes', release)).toMatchObject({
      status: 503,
      body: { error: 'ledger_unavailable' },
    });

    proxy.forward();

    const ended = await waitFor(
      async () => {
        const r = await client.get(`/api/v1/leases/${ending.id}`);
        return r.status === 200 && r.body.state === 'released' ? r.body : null;
      },
      'the release written once packets flow again',
      HANG_MS,
    );
    expect(ended.releaseReason).toBe('client');
    const again = await answered('an allocation after the black hole', client.post('/api/v1/leases', { streamId: 'after-blackhole' }));
    expect(again.status).toBe(201);
    expect(svc.child.exitCode).toBeNull();
  }, 120_000);
});
