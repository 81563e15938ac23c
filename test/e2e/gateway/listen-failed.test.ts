import { ResumeRetries } from '@app/leasing';
import { QuarantineRepository } from '@app/ledger';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../support/reconciler-harness';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';
import { waitFor } from '../../support/wait-for';

/** TEST-NET-1: never a local address, so listen() on it fails with EADDRNOTAVAIL and sends nothing. */
const NOT_UP = '192.0.2.1';

describe.each(DB_KINDS)('a listen() error that is not about the pair, on %s', (kind) => {
  const block = portBlock(17);
  const base = kind === 'sqlite' ? 0 : 200;
  // e2e: 10 pairs at base; in-process: 10 pairs at base + 100
  const range = block.range(10, base);
  const [from, to] = range.split('-').map(Number);
  const http = block.http(kind === 'sqlite' ? 0 : 1);
  const dbs: TestDatabase[] = [];
  let svc: ServiceProcess | undefined;
  let ledger: LedgerHarness | undefined;

  const newDb = async () => {
    const db = await createTestDatabase(kind);
    dbs.push(db);
    return db;
  };
  const start = (db: TestDatabase, bindHost: string) =>
    startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: range,
      HTTP_PORT: String(http),
      MEDIA_BIND_HOST: bindHost,
      ZLM_API_SECRET: 'zlm-secret',
      LOG_LEVEL: 'warn',
      RECONCILE_MIN_AGE_S: '0',
      RECONCILE_INTERVAL_S: '3600',
    });

  afterEach(async () => {
    await svc?.kill9();
    svc = undefined;
    await ledger?.close();
    ledger = undefined;
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('allocation answers 503 listen_failed naming the error, quarantines nothing, and /health says why', async () => {
    svc = await start(await newDb(), NOT_UP);
    const client = api(svc.baseUrl);
    const r = await client.post('/api/v1/leases', { streamId: 'no-iface' });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ statusCode: 503, error: 'listen_failed', errno: 'EADDRNOTAVAIL', bindHost: NOT_UP });
    expect(r.body.message).toContain('EADDRNOTAVAIL');
    // one attempt, not a walk through the range
    const history = await client.get('/api/v1/leases?streamId=no-iface');
    expect(history.body.items).toHaveLength(1);
    expect(history.body.items[0]).toMatchObject({ state: 'failed', releaseReason: 'bind-failed' });
    expect((await client.get('/api/v1/ports')).body).toMatchObject({ pairs: 10, leased: 0, quarantined: 0, free: 10 });

    const zlm = await client.get('/index/api/openRtpServer?secret=zlm-secret&port=0&tcp_mode=1&stream_id=zlm-no-iface');
    expect(zlm.body.code).toBe(-400);
    expect((await client.get('/api/v1/ports')).body).toMatchObject({ quarantined: 0, free: 10 });

    const health = await client.get('/health');
    expect(health.status).toBe(503);
    expect(health.body.details.listeners).toMatchObject({ status: 'down', waitingToReopen: 0, listenError: { code: 'EADDRNOTAVAIL' } });
  });

  it('at boot keeps the leases active while the bind address is not up, and resumes them once it is', async () => {
    const db = await newDb();
    svc = await start(db, '127.0.0.1');
    let client = api(svc.baseUrl);
    const created = await Promise.all(['cam-a', 'cam-b', 'cam-c'].map((streamId) => client.post('/api/v1/leases', { streamId })));
    expect(created.map((r) => r.status)).toEqual([201, 201, 201]);
    const ports = created.flatMap((r) => [r.body.rtpPort, r.body.rtcpPort]).sort((a, b) => a - b);
    await svc.kill9();

    svc = await start(db, NOT_UP);
    client = api(svc.baseUrl);
    const health = await client.get('/health');
    expect(health.status).toBe(503);
    expect(health.body.details.listeners).toMatchObject({ status: 'down', waitingToReopen: 3, listenError: { code: 'EADDRNOTAVAIL' } });
    // the boot pass saw the ghosts once; the next pass, confirmed, leaves them to the retries
    const pass = await client.post('/api/v1/reconcile');
    const ghosts = pass.body.findings.filter((f: { kind: string }) => f.kind === 'ghost-lease');
    expect(ghosts.map((f: { action: string }) => f.action)).toEqual(['reported', 'reported', 'reported']);
    const active = await client.get('/api/v1/leases?state=active&limit=10');
    expect(active.body.items.map((l: { id: string }) => l.id).sort()).toEqual(created.map((r) => r.body.id).sort());
    expect((await client.get('/api/v1/ports')).body).toMatchObject({ leased: 3, quarantined: 0 });
    await svc.kill9();

    // the address is there at the next start (within the window): every lease listens again
    svc = await start(db, '127.0.0.1');
    client = api(svc.baseUrl);
    expect(listeningPorts(from, to)).toEqual(ports);
    const after = await client.get('/api/v1/leases?state=active&limit=10');
    expect(after.body.items.every((l: { state: string }) => l.state === 'listening')).toBe(true);
    expect(after.body.items).toHaveLength(3);
    expect((await client.get('/health')).body.details.listeners.status).toBe('up');
  }, 90_000);

  it('retries the re-open with backoff, and ends a lease failed only once the window has passed', async () => {
    const inProcess = rangeOf(block.range(10, base + 100));
    const db = await newDb();
    ledger = await startLedger(kind, { range: inProcess }, db);
    const leases = await Promise.all(['w-a', 'w-b'].map((streamId) => ledger!.allocate.allocate({ streamId }).then((r) => r.lease)));
    await ledger.close();

    const clock = new TestClock();
    ledger = await startLedger(kind, { range: inProcess, bindHost: NOT_UP, resumeRetryS: 60 }, db, { clock });
    const retries = ledger.app.get(ResumeRetries);
    expect(
      retries
        .list()
        .map((w) => [w.leaseId, w.code])
        .sort(),
    ).toEqual(leases.map((l) => [l.id, 'EADDRNOTAVAIL']).sort());
    // a real retry happens and fails again: still active
    await waitFor(() => retries.list().every((w) => w.attempts >= 2), 'a second attempt');
    for (const l of leases) expect((await ledger.queries.get(l.id)).lease.state).toBe('listening');

    clock.advance(61_000);
    // Both ends are written by the release routine after the retries gave up; wait for both rows.
    await waitFor(
      async () =>
        retries.size === 0 && (await Promise.all(leases.map((l) => ledger!.queries.get(l.id)))).every((d) => d.lease.state === 'failed'),
      'the leases to end',
      30_000,
    );
    for (const l of leases) {
      const { lease, events } = await ledger.queries.get(l.id);
      expect(lease).toMatchObject({ state: 'failed', releaseReason: 'bind-failed' });
      expect(events.at(-1)).toMatchObject({ type: 'failed', detail: { code: 'EADDRNOTAVAIL', atResume: true } });
    }
    expect(await ledger.app.get(QuarantineRepository).forNode(ledger.options.nodeId)).toEqual([]);
  }, 60_000);
});

describe('out of descriptors', () => {
  it("a listen() that hits EMFILE is a host error, not the pair's (a child under prlimit, built gateway)", () => {
    const gateway = join(__dirname, '..', '..', '..', 'dist/libs/gateway/src');
    // the child uses up its 64 descriptors, then asks the gateway's ListenerPair to listen
    const script = `
      const { ListenerPair } = require(${JSON.stringify(join(gateway, 'listener-pair.js'))});
      const { isHostListenError } = require(${JSON.stringify(join(gateway, 'bind.error.js'))});
      const fs = require('node:fs');
      try { for (;;) fs.openSync('/dev/null', 'r'); } catch {}
      new ListenerPair('127.0.0.1', 0, 0, () => {}).open().then(
        () => console.log('opened'),
        (e) => console.log(JSON.stringify({ code: e.code, host: isHostListenError(e) })),
      );`;
    const out = execFileSync('prlimit', ['--nofile=64:64', process.execPath, '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toEqual({ code: 'EMFILE', host: true });
  });
});
