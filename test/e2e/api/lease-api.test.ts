import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';

const block = portBlock(7);

describe('lease REST API', () => {
  let db: TestDatabase;
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({ DATABASE_URL: db.url, MEDIA_PORT_RANGE: block.range(40), HTTP_PORT: String(block.http()) });
    client = api(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  it('answers 201 with the contract lease shape', async () => {
    const r = await client.post('/api/v1/leases', {
      streamId: '34020000001320000001_0200000001',
      ssrc: '0200000001',
      peerAddress: '192.0.2.10',
      ttlSeconds: 600,
      connectTimeoutSeconds: 30,
      idleTimeoutSeconds: 20,
      client: 'sip-signalling-1',
      record: false,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      streamId: '34020000001320000001_0200000001',
      nodeId: 'e2e',
      host: '127.0.0.1',
      transport: 'tcp-passive',
      state: 'listening',
      ssrc: '0200000001',
      releasedAt: null,
      releaseReason: null,
    });
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.rtcpPort).toBe(r.body.rtpPort + 1);
    expect(Date.parse(r.body.expiresAt) - Date.parse(r.body.createdAt)).toBe(600_000);
  });

  it('accepts the SSRC as a number and returns it as the same 10-digit string', async () => {
    const r = await client.post('/api/v1/leases', { streamId: 'numeric-ssrc', ssrc: 200000001 });
    expect(r.status).toBe(201);
    expect(r.body.ssrc).toBe('0200000001');
    const again = await client.post('/api/v1/leases', { streamId: 'numeric-ssrc', ssrc: '0200000001' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(r.body.id);
  });

  it('answers 409 stream_conflict with the active lease id', async () => {
    const first = await client.post('/api/v1/leases', { streamId: 'conflict', ssrc: '1' });
    const r = await client.post('/api/v1/leases', { streamId: 'conflict', ssrc: '2' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ statusCode: 409, error: 'stream_conflict', leaseId: first.body.id });
    expect(r.body.message).toContain('ssrc');
  });

  it.each([
    [{}, ['streamId']],
    [{ streamId: 'bad id!' }, ['streamId']],
    [{ streamId: 'a'.repeat(129) }, ['streamId']],
    [{ streamId: 'ok', ssrc: '4294967296' }, ['ssrc']],
    [{ streamId: 'ok', ssrc: -1 }, ['ssrc']],
    [{ streamId: 'ok', peerAddress: 'not-an-ip' }, ['peerAddress']],
    [{ streamId: 'ok', ttlSeconds: '600' }, ['ttlSeconds']],
    [{ streamId: 'ok', ttlSeconds: 0, idleTimeoutSeconds: 1.5 }, ['idleTimeoutSeconds', 'ttlSeconds']],
    [{ streamId: 'ok', record: 'false' }, ['record']],
    [{ streamId: 'ok', surprise: 1 }, ['surprise']],
  ])('answers 400 naming each bad field for %j', async (body, fields) => {
    const r = await client.post('/api/v1/leases', body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
    expect(r.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(fields);
    for (const f of fields) expect(r.body.message).toContain(f);
  });

  it('answers 400 for malformed JSON and a 4xx for a body that is too large, never a 500', async () => {
    const bad = await client.call('POST', '/api/v1/leases', '{"streamId":');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'malformed_json' });
    const big = await client.call('POST', '/api/v1/leases', JSON.stringify({ streamId: 'x', client: 'y'.repeat(100_000) }));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
  });

  it('answers 400, not a 500, for a body nested thousands of levels deep', async () => {
    const r = await client.call('POST', '/api/v1/leases', `{"streamId":"deep","a":${'['.repeat(3000)}${']'.repeat(3000)}}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
    expect((await client.get('/api/v1/ports')).status).toBe(200);
  });

  it('answers 404 with the error body for an unknown lease', async () => {
    const r = await client.get('/api/v1/leases/00000000-0000-0000-0000-000000000000');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ statusCode: 404, error: 'lease_not_found' });
  });

  it('releases by stream id, idempotently', async () => {
    const lease = await client.post('/api/v1/leases', { streamId: 'by-stream' });
    const r1 = await client.del('/api/v1/leases?streamId=by-stream');
    const r2 = await client.del('/api/v1/leases?streamId=by-stream');
    const r3 = await client.del(`/api/v1/leases/${lease.body.id}`);
    for (const r of [r1, r2, r3])
      expect(r).toMatchObject({ status: 200, body: { id: lease.body.id, state: 'released', releaseReason: 'client' } });
    expect((await client.del('/api/v1/leases?streamId=never-existed')).status).toBe(404);
    expect((await client.del('/api/v1/leases?streamId=bad%20id')).status).toBe(400);
  });

  it('renews: pushes expiresAt out and records the event; refuses an ended lease', async () => {
    const lease = await client.post('/api/v1/leases', { streamId: 'renew-me', ttlSeconds: 60 });
    const r = await client.post(`/api/v1/leases/${lease.body.id}/renew`, { ttlSeconds: 900 });
    expect(r.status).toBe(200);
    expect(Date.parse(r.body.expiresAt)).toBeGreaterThan(Date.parse(lease.body.expiresAt) + 800_000);
    const detail = await client.get(`/api/v1/leases/${lease.body.id}`);
    expect(detail.body.events.map((e: { type: string }) => e.type)).toEqual(['allocated', 'listening', 'renewed']);
    expect((await client.post(`/api/v1/leases/${lease.body.id}/renew`, { ttlSeconds: 'x' })).status).toBe(400);
    await client.del(`/api/v1/leases/${lease.body.id}`);
    const ended = await client.post(`/api/v1/leases/${lease.body.id}/renew`, {});
    expect(ended.status).toBe(409);
    expect(ended.body.error).toBe('lease_ended');
  });

  it('pages history newest first with a cursor that stays stable while leases are added', async () => {
    for (let i = 0; i < 7; i++) await client.post('/api/v1/leases', { streamId: `page-${i}`, client: 'pager' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let first = true;
    do {
      const q: string = `/api/v1/leases?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await client.get(q);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((l: { streamId: string }) => l.streamId));
      cursor = page.body.nextCursor;
      if (first) {
        // New rows arrive between pages: they must not shift what the cursor returns next.
        await client.post('/api/v1/leases', { streamId: 'page-late-1' });
        await client.post('/api/v1/leases', { streamId: 'page-late-2' });
        first = false;
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 3)).toEqual(['page-6', 'page-5', 'page-4']);
    expect(seen).not.toContain('page-late-1');
    expect(seen.filter((s) => s.startsWith('page-') && !s.startsWith('page-late'))).toEqual([
      'page-6',
      'page-5',
      'page-4',
      'page-3',
      'page-2',
      'page-1',
      'page-0',
    ]);
  });

  it('filters history by state, stream, port and time', async () => {
    const a = await client.post('/api/v1/leases', { streamId: 'filter-a' });
    await client.del(`/api/v1/leases/${a.body.id}`);
    const active = await client.get('/api/v1/leases?state=active&limit=500');
    expect(active.body.items.every((l: { state: string }) => ['reserved', 'listening', 'streaming'].includes(l.state))).toBe(true);
    expect((await client.get('/api/v1/leases?state=released&streamId=filter-a')).body.items.map((l: { id: string }) => l.id)).toEqual([
      a.body.id,
    ]);
    const b = await client.post('/api/v1/leases', { streamId: 'filter-b' });
    expect((await client.get('/api/v1/leases?state=listening&streamId=filter-b')).body.items.map((l: { id: string }) => l.id)).toEqual([
      b.body.id,
    ]);
    expect((await client.get('/api/v1/leases?state=listening&streamId=filter-a')).body.items).toEqual([]);
    await client.del(`/api/v1/leases/${b.body.id}`);
    const byPort = await client.get(`/api/v1/leases?port=${a.body.rtcpPort}&limit=500`);
    expect(byPort.body.items.every((l: { rtpPort: number }) => l.rtpPort === a.body.rtpPort)).toBe(true);
    expect(byPort.body.items.map((l: { id: string }) => l.id)).toContain(a.body.id);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await client.get(`/api/v1/leases?from=${future}`)).body.items).toEqual([]);
    expect((await client.get('/api/v1/leases?state=bogus')).status).toBe(400);
    expect((await client.get('/api/v1/leases?limit=0')).status).toBe(400);
    expect((await client.get('/api/v1/leases?from=yesterday')).body.fields[0].field).toBe('from');
  });

  it('counts pairs, leased and free in GET /ports', async () => {
    const r = await client.get('/api/v1/ports');
    expect(r.status).toBe(200);
    expect(r.body.range).toEqual({ start: block.start, end: block.start + 79 });
    expect(r.body.pairs).toBe(40);
    expect(r.body.leased + r.body.free + r.body.quarantined).toBe(40);
    const active = await client.get('/api/v1/leases?state=active&limit=500');
    expect(r.body.leased).toBe(active.body.items.length);
    expect(r.body.warnings).toEqual([]);
  });
});

describe('bearer tokens', () => {
  const tokenBlock = portBlock(8);
  let db: TestDatabase;
  let svc: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: tokenBlock.range(4),
      HTTP_PORT: String(tokenBlock.http()),
      AUTH_TOKENS: 'alpha-token-0123456789,beta-token-0123456789',
    });
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  it('refuses requests without a valid token with 401 and the error body', async () => {
    for (const token of [undefined, 'gamma-token-0123456789', 'alpha-token-012345678', 'alpha']) {
      const r = await api(svc.baseUrl, token).get('/api/v1/ports');
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
    }
  });

  it('accepts every configured token', async () => {
    expect((await api(svc.baseUrl, 'alpha-token-0123456789').get('/api/v1/ports')).status).toBe(200);
    expect((await api(svc.baseUrl, 'beta-token-0123456789').post('/api/v1/leases', { streamId: 'tok' })).status).toBe(201);
  });
});

describe('start-up refusal', () => {
  it('refuses a non-loopback HTTP_HOST without tokens, naming the variable', async () => {
    const err = await startService({
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: String(portBlock(8).http(1)),
      DATABASE_URL: 'sqlite::memory:',
    }).catch((e) => e);
    expect(String(err)).toContain('HTTP_HOST');
    expect(String(err)).toContain('AUTH_TOKENS');
  });

  it('exits 2 on a placeholder or short token, naming AUTH_TOKENS and the rule, never the token', () => {
    const main = join(__dirname, '..', '..', '..', 'dist/apps/portledger/src/main.js');
    for (const [token, rule] of [
      ['change-me-token', 'shorter than 16 characters'],
      ['change-me-token-0123', 'a well-known placeholder'],
    ]) {
      const env = {
        PATH: process.env.PATH ?? '',
        HTTP_HOST: '0.0.0.0',
        HTTP_PORT: String(portBlock(8).http(3)),
        DATABASE_URL: 'sqlite::memory:',
        AUTH_TOKENS: token,
      };
      const r = spawnSync(process.execPath, [main], { env, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`AUTH_TOKENS: token 1 of 1 is ${rule}`);
      expect(r.stderr + r.stdout).not.toContain(token);
    }
  });

  it('stops with a message naming a bad MEDIA_PORT_RANGE', async () => {
    const err = await startService({
      MEDIA_PORT_RANGE: '30001-30000',
      HTTP_PORT: String(portBlock(8).http(2)),
      DATABASE_URL: 'sqlite::memory:',
    }).catch((e) => e);
    expect(String(err)).toContain('MEDIA_PORT_RANGE="30001-30000"');
  });
});
