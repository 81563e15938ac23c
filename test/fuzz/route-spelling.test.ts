import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_SHELL, documentedPaths, PAGES_OUTSIDE_CONTROLLERS, unauthenticatedProblem, type RawResponse } from '../support/raw-http';
import { portBlock } from '../support/port-blocks';
import { api, startService, type ServiceProcess } from '../support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/test-databases';
import { CASES, int, prng, SEED, TIMEOUT_MS } from './fuzz-support';

const block = portBlock(14);
const PORT = block.http(0);
const TOKEN = `fuzz-${randomBytes(12).toString('hex')}`;
const ZLM_SECRET = `fuzz-zlm-${randomBytes(8).toString('hex')}`;
const METHODS = ['GET', 'GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'];
/** Look-alikes of ASCII letters: Cyrillic, fullwidth, dotless i, Kelvin and long s (both case-fold to ASCII). */
const LOOKALIKES: Record<string, string[]> = {
  a: ['а', 'ａ'],
  e: ['е', 'ｅ'],
  o: ['о', 'ｏ'],
  i: ['ı', 'ｉ'],
  k: ['K'],
  s: ['ſ'],
  p: ['р'],
  c: ['с'],
};

function pct(ch: string, random: () => number): string {
  return [...Buffer.from(ch, 'utf8')]
    .map((b) => `%${random() < 0.5 ? b.toString(16).padStart(2, '0') : b.toString(16).padStart(2, '0').toUpperCase()}`)
    .join('');
}

/** One edit of a request target; each keeps the route recognisable to a lenient router. */
function mutateOnce(random: () => number, path: string): string {
  const at = (re: RegExp) => {
    const hits = [...path.matchAll(re)].map((m) => m.index);
    return hits.length ? hits[int(random, 0, hits.length - 1)] : -1;
  };
  const splice = (i: number, del: number, ins: string) => (i < 0 ? path : path.slice(0, i) + ins + path.slice(i + del));
  switch (int(random, 0, 15)) {
    case 0: {
      const i = at(/[A-Za-z]/g);
      return i < 0 ? path : splice(i, 1, path[i] === path[i].toUpperCase() ? path[i].toLowerCase() : path[i].toUpperCase());
    }
    case 1:
      return random() < 0.5 ? path.toUpperCase() : path.replace(/\/[a-z]/g, (m) => m.toUpperCase());
    case 2:
      return `${path}/`;
    case 3:
      return splice(at(/\//g), 1, '/'.repeat(int(random, 2, 3)));
    case 4:
      return splice(at(/\//g), 1, ['/./', '/.//', '/%2e/', '/%2E/'][int(random, 0, 3)]);
    case 5:
      return splice(at(/\//g), 1, ['/x/../', '/x/%2e%2e/', '/x/%2E%2E/', '/x/..%2f', '/..;/'][int(random, 0, 4)]);
    case 6: {
      const i = at(/[A-Za-z0-9]/g);
      return i < 0 ? path : splice(i, 1, pct(path[i], random));
    }
    case 7:
      return splice(at(/\//g), 1, ['%2f', '%2F', '%252f', '%5c', '\\'][int(random, 0, 4)]);
    case 8: {
      const i = at(/\/|$/g);
      return splice(i, 0, [';', ';x=1', ';jsessionid=1', ';/'][int(random, 0, 3)]);
    }
    case 9: {
      const i = at(/[aeoikspc]/g);
      if (i < 0) return path;
      const alts = LOOKALIKES[path[i]];
      const ch = alts[int(random, 0, alts.length - 1)];
      return splice(i, 1, random() < 0.5 ? ch : pct(ch, random));
    }
    case 10:
      return `http://127.0.0.1:${PORT}${path}`;
    case 11:
      return path + ['?', '?x=1', '#', '#frag', '%00', '%20', '.', '%09', '~', '..', '/.', '/..'][int(random, 0, 11)];
    case 12: {
      const i = at(/./g);
      return splice(i, 1, '');
    }
    case 13:
      return `/${['api', 'api/v1', 'index', 'x', '.', '..', '%2e'][int(random, 0, 6)]}/..${path}`;
    case 14:
      return path.replace(/^\//, ['', '//', '/./', '\\'][int(random, 0, 3)]);
    default:
      return splice(at(/\//g), 1, `/${'a'.repeat(int(random, 1, 3))}/../`);
  }
}

/** Authorization headers that must not pass: none, wrong, cut, extended, other schemes. */
function badAuthorization(random: () => number): string | undefined {
  switch (int(random, 0, 7)) {
    case 0:
      return `Bearer ${TOKEN.slice(0, -1)}`;
    case 1:
      return `Bearer ${TOKEN}x`;
    case 2:
      return `Bearer ${TOKEN.toUpperCase()}`;
    case 3:
      return `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`;
    case 4:
      return `Bearer ${ZLM_SECRET}`;
    case 5:
      return `Bearer`;
    default:
      return undefined;
  }
}

interface Case {
  method: string;
  target: string;
  authorization?: string;
  body?: { type: string; text: string };
}

/** Case i, reproducible alone from (SEED, i). */
function fuzzCase(i: number, routes: string[]): Case {
  const random = prng(SEED * 104_729 + i);
  let target = routes[int(random, 0, routes.length - 1)];
  if (random() < 0.9) for (let n = int(random, 1, 3); n > 0; n--) target = mutateOnce(random, target);
  const method = METHODS[int(random, 0, METHODS.length - 1)];
  const zlm = target.toLowerCase().includes('index');
  const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)
    ? zlm
      ? { type: 'application/x-www-form-urlencoded', text: 'port=0&tcp_mode=1&stream_id=fz-bypass' }
      : { type: 'application/json', text: JSON.stringify({ streamId: 'fz-bypass', ttlSeconds: 60 }) }
    : undefined;
  if (zlm && method === 'GET' && random() < 0.7) target += `${target.includes('?') ? '&' : '?'}port=0&tcp_mode=1&stream_id=fz-bypass`;
  return { method, target, authorization: badAuthorization(random), body };
}

/** The request written byte for byte on a fresh connection (targets a client library would refuse included). */
function send(c: Case): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const head = [`${c.method} ${c.target} HTTP/1.1`, `Host: 127.0.0.1:${PORT}`, 'Connection: close'];
    if (c.authorization !== undefined) head.push(`Authorization: ${c.authorization}`);
    if (c.body) head.push(`Content-Type: ${c.body.type}`, `Content-Length: ${Buffer.byteLength(c.body.text)}`);
    const socket = connect(PORT, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (!status) return reject(new Error(`no status line: ${JSON.stringify(raw.slice(0, 80))}`));
      resolve({ status: Number(status[1]), text: raw.slice(raw.indexOf('\r\n\r\n') + 4) });
    });
    socket.end(Buffer.from(`${head.join('\r\n')}\r\n\r\n${c.body?.text ?? ''}`, 'utf8'));
  });
}

describe(`route spelling fuzz (${CASES} requests, seed ${SEED}): AUTH_TOKENS and ZLM_API_SECRET set`, () => {
  let db: TestDatabase;
  let svc: ServiceProcess;
  let leaseId: string;
  let routes: string[];

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: block.range(8),
      HTTP_PORT: String(PORT),
      AUTH_TOKENS: TOKEN,
      ZLM_API_SECRET: ZLM_SECRET,
      LOG_LEVEL: 'error',
    });
    const lease = await api(svc.baseUrl, TOKEN).post('/api/v1/leases', { streamId: 'fz-fixture' });
    leaseId = lease.body.id;
    const paths = await documentedPaths(svc.baseUrl, TOKEN);
    routes = [...Object.keys(paths).map((p) => p.replace(/\{\w+\}/g, leaseId)), ...PAGES_OUTSIDE_CONTROLLERS];
    for (const path of CONSOLE_SHELL) expect(routes).toContain(path);
  });
  afterAll(async () => {
    await svc?.stop();
    await db?.drop();
  });

  it(
    'answers nothing but exactly /health, the console shell (and the ZLM refusal) with 2xx without a valid token, and nothing with 5xx',
    async () => {
      const kept: string[] = [];
      let problemCount = 0;
      const statuses: Record<number, number> = {};
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < CASES; i = next++) {
          const c = fuzzCase(i, routes);
          const shown = `case ${i} (seed ${SEED}) ${c.method} ${JSON.stringify(c.target)}${c.authorization ? ` [Authorization: ${c.authorization.slice(0, 12)}…]` : ''}`;
          let res: RawResponse;
          try {
            res = await send(c);
          } catch (err) {
            if (problemCount++ < 10) kept.push(`${shown}: ${String(err)}`);
            continue;
          }
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const problem = unauthenticatedProblem(c.method, c.target, res);
          if (problem && problemCount++ < 10) kept.push(`${shown}: ${problem}`);
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      console.log(`route spelling fuzz: ${CASES} requests, statuses ${JSON.stringify(statuses)}, ${problemCount} problems`);
      expect(kept).toEqual([]);
      expect(svc.child.exitCode).toBeNull();
      // nothing was allocated, released or renewed on the way
      const active = await api(svc.baseUrl, TOKEN).get('/api/v1/leases?state=active&limit=100');
      expect(active.body.items.map((l: { id: string }) => l.id)).toEqual([leaseId]);
      // the fuzz reached the open route and the refusals both
      expect(statuses[200] ?? 0).toBeGreaterThan(0);
      expect(statuses[401] ?? 0).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
