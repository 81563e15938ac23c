import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { rawRequest, type RawResponse } from '../../support/raw-http';
import { startService, type ServiceProcess } from '../../support/service-process';
import { waitFor } from '../../support/wait-for';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';

// Block 7 is lease-api.test.ts's: it takes the first 80 ports and http(0); these services take
// 100-111 and 120-131 and http(4), http(5).
const block = portBlock(7);
const TOKEN = `direct-${randomBytes(12).toString('hex')}`;
const SECRET = `direct-zlm-${randomBytes(8).toString('hex')}`;
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Step {
  method: string;
  /** the request target; `{name}` is the id of the lease an earlier step saved as `name` */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** save the answer's lease id under this name */
  save?: string;
}

const json = (v: unknown) => JSON.stringify(v);
const zlm = (api: string, query: string) => `/index/api/${api}?${query}`;

/**
 * The allocation cycle's routes and their edges: every status, error code and body shape the
 * direct routes must give exactly as Nest's routes do (auth, validation, parsers, domain errors,
 * idempotent answers, ZLMediaKit codes).
 */
const STEPS: Step[] = [
  {
    method: 'POST',
    path: '/api/v1/leases',
    headers: { ...AUTH, ...JSON_TYPE },
    body: json({ streamId: 'd1', ssrc: '0200000001' }),
    save: 'd1',
  },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...JSON_TYPE }, body: json({ streamId: 'd1', ssrc: '0200000001' }) },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...JSON_TYPE }, body: json({ streamId: 'd1', ssrc: '0200000002' }) },
  {
    method: 'POST',
    path: '/api/v1/leases',
    headers: { ...AUTH, ...JSON_TYPE },
    body: json({ streamId: 'd2', ssrc: 200000001, ttlSeconds: 60 }),
    save: 'd2',
  },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...FORM }, body: 'streamId=d3', save: 'd3' },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...JSON_TYPE }, body: json({ streamId: 'bad id!' }) },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...JSON_TYPE }, body: json({ streamId: 'd4', extra: 1, ttlSeconds: 'x' }) },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...JSON_TYPE }, body: json({ streamId: 'd4', forward: { a: [[[]]] } }) },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...JSON_TYPE }, body: '['.repeat(40) + ']'.repeat(40) },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, ...JSON_TYPE }, body: '{"streamId":' },
  {
    method: 'POST',
    path: '/api/v1/leases',
    headers: { ...AUTH, ...JSON_TYPE },
    body: json({ streamId: 'big', client: 'y'.repeat(70_000) }),
  },
  { method: 'POST', path: '/api/v1/leases', headers: { ...AUTH, 'content-type': 'text/plain' }, body: 'streamId=d5' },
  {
    method: 'POST',
    path: '/api/v1/leases',
    headers: { ...AUTH, 'content-type': 'application/json; charset=latin1' },
    body: json({ streamId: 'd5' }),
  },
  { method: 'POST', path: '/api/v1/leases', headers: AUTH },
  { method: 'POST', path: '/api/v1/leases', headers: JSON_TYPE, body: json({ streamId: 'no-token' }) },
  {
    method: 'POST',
    path: '/api/v1/leases',
    headers: { authorization: `Bearer ${TOKEN}x`, ...JSON_TYPE },
    body: json({ streamId: 'no-token' }),
  },
  { method: 'POST', path: '/api/v1/leases/{d2}/renew', headers: { ...AUTH, ...JSON_TYPE }, body: json({ ttlSeconds: 120 }) },
  { method: 'POST', path: '/api/v1/leases/{d2}/renew', headers: AUTH },
  { method: 'POST', path: '/api/v1/leases/{d2}/renew', headers: { ...AUTH, ...JSON_TYPE }, body: json({ ttlSeconds: 0 }) },
  { method: 'POST', path: '/api/v1/leases/no-such-lease/renew', headers: { ...AUTH, ...JSON_TYPE }, body: json({}) },
  { method: 'POST', path: '/api/v1/leases/{d2}/renew', headers: JSON_TYPE, body: json({ ttlSeconds: 120 }) },
  { method: 'DELETE', path: '/api/v1/leases/{d1}', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases/{d1}', headers: AUTH },
  { method: 'POST', path: '/api/v1/leases/{d1}/renew', headers: { ...AUTH, ...JSON_TYPE }, body: json({ ttlSeconds: 60 }) },
  { method: 'DELETE', path: '/api/v1/leases/no-such-lease', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases/%E0%A4%A', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases/{d2}' },
  { method: 'DELETE', path: '/api/v1/leases?streamId=d3', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases?streamId=d3', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases?streamId=bad!', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases?streamId=d2&x=1', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases?streamId=d2&streamId=d2', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases', headers: AUTH },
  { method: 'DELETE', path: '/api/v1/leases?streamId=d2' },
  { method: 'GET', path: zlm('openRtpServer', `secret=${SECRET}&port=0&tcp_mode=1&stream_id=z1`) },
  { method: 'GET', path: zlm('openRtpServer', `secret=${SECRET}&port=0&tcp_mode=1&stream_id=z1`) },
  { method: 'GET', path: zlm('openRtpServer', `secret=${SECRET}&port=1&stream_id=z9`) },
  { method: 'GET', path: zlm('openRtpServer', `secret=${SECRET}&port=0&tcp_mode=7&stream_id=z9`) },
  { method: 'GET', path: zlm('openRtpServer', `secret=${SECRET}&port=0`) },
  { method: 'GET', path: zlm('openRtpServer', 'secret=wrong&port=0&stream_id=z9') },
  { method: 'GET', path: zlm('openRtpServer', 'port=0&stream_id=z9'), headers: AUTH },
  { method: 'POST', path: '/index/api/openRtpServer', headers: FORM, body: `secret=${SECRET}&port=0&stream_id=z2&tcp_mode=0` },
  {
    method: 'POST',
    path: zlm('openRtpServer', `secret=${SECRET}`),
    headers: JSON_TYPE,
    body: json({ port: 0, stream_id: 'z3', tcp_mode: 2, ssrc: 200000001 }),
  },
  { method: 'POST', path: zlm('openRtpServer', `secret=${SECRET}`), headers: JSON_TYPE, body: '{"port":' },
  { method: 'POST', path: '/index/api/openRtpServer', headers: JSON_TYPE, body: '{"port":' },
  {
    method: 'POST',
    path: zlm('openRtpServer', `secret=${SECRET}`),
    headers: JSON_TYPE,
    body: json({ port: 0, stream_id: 'z4', deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) }),
  },
  { method: 'GET', path: zlm('closeRtpServer', `secret=${SECRET}&stream_id=z1`) },
  { method: 'GET', path: zlm('closeRtpServer', `secret=${SECRET}&stream_id=z1`) },
  { method: 'GET', path: zlm('closeRtpServer', `secret=${SECRET}`) },
  { method: 'GET', path: zlm('closeRtpServer', `secret=${SECRET}&stream_id=z2`), headers: { 'if-none-match': '*' } },
  { method: 'POST', path: '/index/api/closeRtpServer', headers: FORM, body: `secret=${SECRET}&stream_id=z2` },
  { method: 'HEAD', path: zlm('closeRtpServer', `secret=${SECRET}&stream_id=z2`) },
  { method: 'POST', path: zlm('closeRtpServer', `secret=${SECRET}`), headers: JSON_TYPE, body: json({ stream_id: 'z3' }) },
  { method: 'POST', path: '/index/api/closeRtpServer', headers: FORM, body: 'secret=wrong&stream_id=z2' },
];

/** Leases ids, times and the service's own ports made comparable across the two services. */
function normalised(text: string, range: { start: number; end: number }): string {
  const ids = new Map<string, string>();
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => {
      if (!ids.has(id)) ids.set(id, `<id${ids.size}>`);
      return ids.get(id) as string;
    })
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
    .replace(/\b\d{4,5}\b/g, (n) => (Number(n) >= range.start && Number(n) <= range.end ? `<port+${Number(n) - range.start}>` : n));
}

/** What a client sees of an answer, minus what differs by the clock and the connection. */
function seen(res: RawResponse, range: { start: number; end: number }) {
  const headers = Object.keys(res.headers ?? {})
    .filter((h) => !['date', 'connection', 'keep-alive'].includes(h))
    .sort();
  return {
    status: res.status,
    type: res.headers?.['content-type'],
    // ids, times and ports are as long on both sides
    length: res.headers?.['content-length'],
    headers,
    body: normalised(res.text, range),
  };
}

interface Side {
  db: TestDatabase;
  svc: ServiceProcess;
  port: number;
  range: { start: number; end: number };
}

async function start(offset: number, httpIndex: number, extra: Record<string, string>): Promise<Side> {
  const db = await createTestDatabase('sqlite');
  const range = block.range(6, offset);
  const port = block.http(httpIndex);
  const svc = await startService({
    DATABASE_URL: db.url,
    MEDIA_PORT_RANGE: range,
    HTTP_PORT: String(port),
    AUTH_TOKENS: TOKEN,
    ZLM_API_SECRET: SECRET,
    ...extra,
  });
  const [start, end] = range.split('-').map(Number);
  return { db, svc, port, range: { start, end } };
}

async function play(side: Side): Promise<Array<ReturnType<typeof seen>>> {
  const saved: Record<string, string> = {};
  const out: Array<ReturnType<typeof seen>> = [];
  for (const step of STEPS) {
    const path = step.path.replace(/\{(\w+)\}/g, (_, name: string) => saved[name]);
    const res = await rawRequest(side.port, step.method, path, { headers: step.headers, body: step.body });
    if (step.save) saved[step.save] = (JSON.parse(res.text) as { id: string }).id;
    out.push(seen(res, side.range));
  }
  return out;
}

/** The HTTP duration series (method, route pattern, status, count), but the start-up probe's route. */
async function requestSeries(side: Side): Promise<string[]> {
  const res = await rawRequest(side.port, 'GET', '/metrics', { headers: AUTH });
  return res.text
    .split('\n')
    .filter((l) => l.startsWith('portledger_http_request_duration_seconds_count{') && !l.includes('route="/api/v1/ports"'))
    .sort();
}

describe('the allocation cycle answered by the direct routes and by Nest (LOG_REQUESTS=true takes Nest for every route)', () => {
  let direct: Side;
  let nest: Side;

  beforeAll(async () => {
    [direct, nest] = await Promise.all([start(100, 4, {}), start(120, 5, { LOG_REQUESTS: 'true' })]);
  });
  afterAll(async () => {
    for (const side of [direct, nest]) {
      await side?.svc.kill9();
      await side?.db.drop();
    }
  });

  it('gives the same status, headers and body for every request of the script, and counts them under the same metric labels', async () => {
    const fromDirect = await play(direct);
    const fromNest = await play(nest);
    for (let i = 0; i < STEPS.length; i++) {
      expect(fromDirect[i], `${STEPS[i].method} ${STEPS[i].path}`).toEqual(fromNest[i]);
    }
    // the script reaches every kind of answer: created, idempotent, each 4xx, ZLMediaKit's codes
    const statuses = new Set(fromDirect.map((r) => r.status));
    for (const s of [200, 201, 304, 400, 401, 404, 409, 413, 415]) expect(statuses, `status ${s}`).toContain(s);
    const codes = new Set(fromDirect.filter((r) => r.status === 200).map((r) => /"code":(-?\d+)/.exec(r.body)?.[1]));
    for (const c of ['0', '-100', '-300']) expect(codes, `code ${c}`).toContain(c);
    expect(await requestSeries(direct)).toEqual(await requestSeries(nest));
    expect(await requestSeries(direct)).toContain(
      'portledger_http_request_duration_seconds_count{method="DELETE",route="/api/v1/leases/:id",status_code="200"} 2',
    );
  });

  it('keeps the request log line where it is asked for: with LOG_REQUESTS=true an allocation is logged as a request', async () => {
    const requestLines = (svc: ServiceProcess) =>
      svc
        .output()
        .split('\n')
        .filter((l) => l.includes('"url":"/api/v1/leases"') && l.includes('"method":"POST"'));
    for (const side of [direct, nest]) {
      const res = await rawRequest(side.port, 'POST', '/api/v1/leases', {
        headers: { ...AUTH, ...JSON_TYPE },
        body: json({ streamId: 'logged' }),
      });
      expect(res.status).toBe(201);
    }
    await waitFor(() => requestLines(nest.svc).length > 0 || null, 'the request line of the allocation');
    expect(requestLines(direct.svc)).toEqual([]);
  });
});
