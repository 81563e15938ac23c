import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';
import { CONSOLE_SHELL, documentedPaths, PAGES_OUTSIDE_CONTROLLERS, rawRequest, unauthenticatedProblem } from '../../support/raw-http';

const block = portBlock(13);
const TOKEN = `matrix-${randomBytes(12).toString('hex')}`;
const OTHER_TOKEN = `matrix-${randomBytes(12).toString('hex')}`;
const SECRET = `zlm-${randomBytes(12).toString('hex')}`;
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** Paths through the two prefixes that pass the front door without a token, out to guarded routes. */
const THROUGH_OPEN_PREFIXES = [
  '/index/api/../../api/v1/leases',
  '/index/api/%2e%2e/%2e%2e/metrics',
  '/index/api/x/../../../docs-json',
  '/index/api/..%2f..%2fdocs/swagger-ui-init.js',
  '/health/../api/v1/ports',
  '/health/%2e%2e/metrics',
];

const PARAM = /^\{\w+\}$/;

function flipFirst(segment: string): string {
  if (PARAM.test(segment)) return segment;
  const c = segment[0] ?? '';
  return (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + segment.slice(1);
}

/** The first letter of literal segment `index` as a percent-escape (`/api/v1/%6ceases`). */
function escapeFirstLetter(segs: string[], index: number, upperHex: boolean): string {
  const out = [...segs];
  const hex = out[index].charCodeAt(0).toString(16);
  out[index] = `%${upperHex ? hex.toUpperCase() : hex}${out[index].slice(1)}`;
  return `/${out.join('/')}`;
}

/**
 * Other spellings of a route template (`/api/v1/leases/{id}`): case, slashes, dot segments,
 * escapes, parameters. Parameters are left as they are: an escaped id is the same id.
 */
function spellings(template: string): string[] {
  const segs = template.split('/').slice(1);
  const literal = segs.map((s, i) => (PARAM.test(s) ? -1 : i)).filter((i) => i >= 0);
  const lastLiteral = literal[literal.length - 1];
  const flipped = (indexes: number[]) => `/${segs.map((s, i) => (indexes.includes(i) ? flipFirst(s) : s)).join('/')}`;
  return [
    ...new Set([
      `/${segs.map((s) => (PARAM.test(s) ? s : s.toUpperCase())).join('/')}`,
      flipped(literal),
      flipped([lastLiteral]),
      `${template}/`,
      `${template}//`,
      `/${template}`,
      template.replace(/^(\/[^/]+)\//, '$1//'),
      escapeFirstLetter(segs, literal[0], false),
      escapeFirstLetter(segs, lastLiteral, true),
      template.replace(/^(\/[^/]+)/, '$1/.'),
      template.replace(/^(\/[^/]+)/, '$1/%2e'),
      `/x/..${template}`,
      `${template};x=1`,
      segs.length > 1 ? template.replace(/\/([^/]*)$/, '%2F$1') : `/%2F${segs[0]}`,
      `${template}%20`,
      `${template}.`,
    ]),
  ].filter((p) => p !== template);
}

interface Route {
  /** the template, `{id}` where the document has a parameter */
  path: string;
  methods: string[];
  query: string;
  body?: { type: string; text: string };
}

describe('authentication by route, whatever the spelling (AUTH_TOKENS and ZLM_API_SECRET set)', () => {
  let db: TestDatabase;
  let svc: ServiceProcess;
  let leaseId: string;
  let routes: Route[];
  const port = block.http(0);
  const send = (method: string, template: string, route: Route | undefined, headers: Record<string, string> = {}) =>
    rawRequest(port, method, `${template.replace(/\{\w+\}/g, leaseId)}${route?.query ?? ''}`, {
      headers: route?.body && method === 'POST' ? { ...headers, 'content-type': route.body.type } : headers,
      body: route?.body && method === 'POST' ? route.body.text : undefined,
      headersOnly: template.toLowerCase().includes('stream.ps'),
    });

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: block.range(8),
      HTTP_PORT: String(port),
      AUTH_TOKENS: `${TOKEN},${OTHER_TOKEN}`,
      ZLM_API_SECRET: SECRET,
    });
    const lease = await api(svc.baseUrl, TOKEN).post('/api/v1/leases', { streamId: 'matrix' });
    expect(lease.status).toBe(201);
    leaseId = lease.body.id;
    const paths = await documentedPaths(svc.baseUrl, TOKEN);
    routes = Object.entries(paths).map(([template, item]) => {
      const path = template;
      const zlm = path.startsWith('/index/api/');
      const methods = [...new Set([...Object.keys(item).map((m) => m.toUpperCase()), 'GET', 'HEAD'])];
      // arguments that would allocate, release or renew if a spelling got through
      const query = zlm ? '?port=0&tcp_mode=1&stream_id=bypass&ssrc=1' : path === '/api/v1/leases' ? '?streamId=matrix' : '';
      const body = zlm
        ? { type: 'application/x-www-form-urlencoded', text: 'port=0&tcp_mode=1&stream_id=bypass' }
        : { type: 'application/json', text: JSON.stringify({ streamId: 'bypass', ttlSeconds: 60 }) };
      return { path, methods, query, body };
    });
    expect(routes.length).toBeGreaterThan(15);
    // the console's static files are documented routes too, so every spelling of them is tried below
    for (const path of CONSOLE_SHELL) expect(routes.map((r) => r.path)).toContain(path);
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  it('answers nothing but exactly /health and the console shell without a token: every listed route and the docs, in every spelling, by GET, HEAD and its own method', async () => {
    const problems: string[] = [];
    let sent = 0;
    const targets = [
      ...routes,
      ...[...PAGES_OUTSIDE_CONTROLLERS, ...THROUGH_OPEN_PREFIXES].map((path) => ({ path, methods: ['GET', 'HEAD'], query: '' })),
    ];
    for (const route of targets) {
      for (const path of [route.path, ...spellings(route.path)]) {
        for (const method of route.methods) {
          const res = await send(method, path, route);
          sent++;
          const problem = unauthenticatedProblem(method, `${path}${route.query}`, res);
          if (problem) problems.push(`${method} ${path}${route.query}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(800);
    // the exact spellings answer their owners: the one open route, and ZLMediaKit's refusal
    expect((await send('GET', '/health', undefined)).status).toBe(200);
    expect(JSON.parse((await send('GET', '/index/api/listRtpServer', undefined)).text)).toEqual({ code: -100, msg: 'Incorrect secret' });
  });

  it('serves the console shell without a token, and nothing of the data in it', async () => {
    for (const path of CONSOLE_SHELL) {
      const res = await rawRequest(port, 'GET', path);
      expect(res.status, path).toBe(200);
      expect(res.text.length, path).toBeGreaterThan(100);
      expect(res.text, path).not.toContain(leaseId);
      expect(res.text, path).not.toContain('"streamId":"matrix"');
    }
    expect((await rawRequest(port, 'POST', '/admin')).status).toBe(404);
    // the data the console shows needs the token like every API call
    expect((await rawRequest(port, 'GET', '/api/v1/ports/pairs')).status).toBe(401);
    expect((await rawRequest(port, 'GET', '/api/v1/nodes')).status).toBe(401);
  });

  it('routes only the exact spelling: with a valid token (and the ZLM secret) every other spelling is a 404', async () => {
    const problems: string[] = [];
    for (const route of routes) {
      const withSecret = { ...route, query: route.path.startsWith('/index/api/') ? `${route.query}&secret=${SECRET}` : route.query };
      for (const path of spellings(route.path)) {
        for (const method of route.methods) {
          const res = await send(method, path, withSecret, AUTH);
          if (res.status !== 404) problems.push(`${method} ${path}: ${res.status} ${res.text.slice(0, 120)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers the exact spellings with a token: the API, /metrics and the docs', async () => {
    for (const path of [
      '/api/v1/leases',
      `/api/v1/leases/${leaseId}`,
      '/api/v1/ports',
      '/metrics',
      '/docs',
      '/docs-json',
      '/docs/swagger-ui-init.js',
    ]) {
      expect((await rawRequest(port, 'GET', path, { headers: AUTH })).status, path).toBe(200);
      expect((await rawRequest(port, 'GET', path, { headers: { authorization: `Bearer ${OTHER_TOKEN}` } })).status, path).toBe(200);
    }
  });

  it('refuses a request without a token before reading its body: malformed or oversized JSON is 401, not 400 or 413', async () => {
    for (const text of ['{"streamId":', JSON.stringify({ streamId: 'big', client: 'y'.repeat(70_000) })]) {
      const res = await rawRequest(port, 'POST', '/api/v1/leases', { headers: { 'content-type': 'application/json' }, body: text });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toEqual({ statusCode: 401, error: 'unauthorized', message: expect.any(String) });
    }
    const withToken = await rawRequest(port, 'POST', '/api/v1/leases', {
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{"streamId":',
    });
    expect(withToken.status).toBe(400);
  });

  it('left the ledger as it was: no spelling allocated, released or renewed a lease', async () => {
    const rest = api(svc.baseUrl, TOKEN);
    const active = await rest.get('/api/v1/leases?state=active&limit=100');
    expect(active.body.items.map((l: { id: string; streamId: string }) => [l.id, l.streamId])).toEqual([[leaseId, 'matrix']]);
    const events = await rest.get(`/api/v1/leases/${leaseId}/events`);
    expect(events.body.items.map((e: { type: string }) => e.type)).not.toContain('renewed');
  });
});
