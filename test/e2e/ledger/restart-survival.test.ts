import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';

describe.each(DB_KINDS)('restart survival on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 5 : 6);
  const range = block.range(50);
  const [from, to] = range.split('-').map(Number);
  let db: TestDatabase;
  let svc: ServiceProcess | undefined;
  const env = () => ({ DATABASE_URL: db.url, MEDIA_PORT_RANGE: range, HTTP_PORT: String(block.http()) });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  it('resumes 40 leases after kill -9, re-opens their listeners, and leaves none after release', async () => {
    svc = await startService(env());
    const client = api(svc.baseUrl);
    const created = [];
    for (let i = 0; i < 40; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: 8 }, (_, j) => client.post('/api/v1/leases', { streamId: `cam-${i + j}`, ssrc: String(100 + i + j) })),
      );
      created.push(...batch);
    }
    expect(created.map((r) => r.status)).toEqual(Array(40).fill(201));
    const ports = created.flatMap((r) => [r.body.rtpPort, r.body.rtcpPort]).sort((a, b) => a - b);
    expect(listeningPorts(from, to)).toEqual(ports);

    await svc.kill9();
    expect(listeningPorts(from, to)).toEqual([]);

    svc = await startService(env());
    const after = api(svc.baseUrl);
    const active = await after.get('/api/v1/leases?state=active&limit=100');
    expect(active.body.items).toHaveLength(40);
    expect(new Set(active.body.items.map((l: { id: string }) => l.id))).toEqual(new Set(created.map((r) => r.body.id)));
    expect(active.body.items.every((l: { state: string }) => l.state === 'listening')).toBe(true);
    expect(listeningPorts(from, to)).toEqual(ports);
    for (const r of created.slice(0, 5)) {
      const events = await after.get(`/api/v1/leases/${r.body.id}/events`);
      expect(events.body.items.map((e: { type: string }) => e.type)).toContain('resumed-after-restart');
    }
    const usage = await after.get('/api/v1/ports');
    expect(usage.body).toMatchObject({ pairs: 50, leased: 40, free: 10, quarantined: 0 });

    const released = await Promise.all(created.map((r) => after.del(`/api/v1/leases/${r.body.id}`)));
    expect(released.every((r) => r.status === 200 && r.body.state === 'released')).toBe(true);
    expect(listeningPorts(from, to)).toEqual([]);
    expect((await after.get('/api/v1/ports')).body).toMatchObject({ leased: 0, free: 50 });
  });

  it('closes every socket on SIGTERM, exits 0, and resumes the leases at the next start', async () => {
    await svc?.kill9();
    svc = await startService(env());
    const client = api(svc.baseUrl);
    const lease = await client.post('/api/v1/leases', { streamId: 'graceful' });
    expect(lease.status).toBe(201);
    expect(await svc.stop('SIGTERM')).toBe(0);
    expect(listeningPorts(from, to)).toEqual([]);

    svc = await startService(env());
    const again = await api(svc.baseUrl).get(`/api/v1/leases/${lease.body.id}`);
    expect(again.body.state).toBe('listening');
    expect(listeningPorts(lease.body.rtpPort, lease.body.rtcpPort)).toEqual([lease.body.rtpPort, lease.body.rtcpPort]);
    await api(svc.baseUrl).del(`/api/v1/leases/${lease.body.id}`);
  });

  it.each([
    ['uncaught-exception', 'uncaught exception'],
    ['unhandled-rejection', 'unhandled rejection'],
    ['server-error', 'HTTP server error'],
  ])(
    'on %s: logs a fatal line with the stack, closes every socket through the shutdown path, exits 1, and the lease resumes',
    async (kind, what) => {
      await svc?.kill9();
      svc = await startService({ ...env(), PORTLEDGER_TEST_CRASH_ON_SIGUSR2: kind });
      const lease = await api(svc.baseUrl).post('/api/v1/leases', { streamId: `crash-${kind}` });
      expect(lease.status).toBe(201);
      svc.child.kill('SIGUSR2');
      expect((await svc.exited).code).toBe(1);
      const lines = svc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { stack?: string } });
      const fatal = lines.filter((l) => l.level === 60);
      expect(fatal).toHaveLength(1);
      expect(fatal[0].msg).toMatch(new RegExp(`^${what}: test crash: .*; shutting down \\(exit 1\\)$`));
      expect(fatal[0].err?.stack).toMatch(/test crash[^]*\n\s+at /);
      // the SIGTERM path ran: the gateway closed the lease's listeners and left the lease active
      expect(lines.map((l) => l.msg)).toContain(`shutdown (${what}): closed the listeners of 1 leases; they resume at next start`);
      expect(listeningPorts(from, to)).toEqual([]);

      svc = await startService(env());
      const after = api(svc.baseUrl);
      expect((await after.get(`/api/v1/leases/${lease.body.id}`)).body.state).toBe('listening');
      const events = await after.get(`/api/v1/leases/${lease.body.id}/events`);
      expect(events.body.items.map((e: { type: string }) => e.type)).toContain('resumed-after-restart');
      expect(listeningPorts(from, to)).toEqual([lease.body.rtpPort, lease.body.rtcpPort]);
      await after.del(`/api/v1/leases/${lease.body.id}`);
    },
  );

  it('ends leases that expired while the service was down, at boot', async () => {
    const client = api(svc!.baseUrl);
    const lease = await client.post('/api/v1/leases', { streamId: 'expires-while-down', ttlSeconds: 1 });
    await svc!.kill9();
    await new Promise((r) => setTimeout(r, 1200));
    svc = await startService(env());
    const after = await api(svc.baseUrl).get(`/api/v1/leases/${lease.body.id}`);
    expect(after.body).toMatchObject({ state: 'expired', releaseReason: 'ttl' });
    expect(listeningPorts(lease.body.rtpPort, lease.body.rtcpPort)).toEqual([]);
  });
});
