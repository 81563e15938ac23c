import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../support/port-blocks';
import { startService, type ServiceProcess } from '../support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/test-databases';
import { CASES, int, prng, SEED, sendTo, TIMEOUT_MS } from './fuzz-support';

const block = portBlock(43);
const ZLM_SECRET = 'fuzz-secret';

/** Values that trip validators: wrong types, edges, coercion traps, prototype keys, huge and odd strings. */
function value(random: () => number, depth = 0): unknown {
  const pick = int(random, 0, 27);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return true;
    case 2:
      return false;
    case 3:
      return 0;
    case 4:
      return -1;
    case 5:
      return int(random, 1, 100);
    case 6:
      return [1.5, 1e308, -1e308, 2 ** 53, 4294967295, 4294967296, 86400, 86401, 2678400, 2678401][int(random, 0, 9)];
    case 7:
      return '';
    case 8:
      return 'x'.repeat(int(random, 120, 300));
    case 9:
      return ['0200000001', '4294967295', '4294967296', '-1', '1e3', ' 12 ', '0x10', '12abc', '００１'][int(random, 0, 8)];
    case 10:
      return ['true', 'false', 'null', 'undefined', 'NaN', 'Infinity', '[]', '{}'][int(random, 0, 7)];
    case 11:
      return ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'][int(random, 0, 4)];
    case 12:
      return ['192.0.2.10', '::1', '999.1.1.1', '127.0.0.1', 'localhost', 'fe80::1%eth0', '1.2.3'][int(random, 0, 6)];
    case 13:
      return ['ünïcødé', '流-1', '\u0000', '\ud800', 'a\nb', '../../etc/passwd', '<script>', "'; DROP TABLE leases;--"][int(random, 0, 7)];
    case 14:
      return `fz-${int(random, 0, 1e9)}`;
    case 15:
      return ['2024-01-01T00:00:00Z', '1700000000000', 'yesterday', '2024-13-45', '-1', '99999999999999999999'][int(random, 0, 5)];
    case 16:
      return depth < 3 ? Array.from({ length: int(random, 0, 4) }, () => value(random, depth + 1)) : [];
    case 17:
      return depth < 3 ? object(random, depth + 1) : {};
    default:
      return fieldValue(random);
  }
}

/** A value that is often right for some field, so that validation goes deep and leases get made. */
function fieldValue(random: () => number): unknown {
  return [`fz-${int(random, 0, 1e9)}`, int(random, 1, 600), '0200000001', 1, 30, false, true, '127.0.0.1', 'sip-1', 'udp', 'tcp-active'][
    int(random, 0, 10)
  ];
}

// peerPort is left out: with a tcp-active lease it would make the service dial ports outside this file's block.
const FIELDS = [
  'streamId',
  'transport',
  'ssrc',
  'peerAddress',
  'ttlSeconds',
  'connectTimeoutSeconds',
  'idleTimeoutSeconds',
  'client',
  'record',
];

function object(random: () => number, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of FIELDS) if (random() < 0.5) o[f] = random() < 0.5 ? value(random, depth) : fieldValue(random);
  if (random() < 0.5) o.streamId = `fz-${int(random, 0, 1e9)}`;
  if (random() < 0.15) o[['extra', '__proto__', 'constructor', 'id', 'state', 'rtpPort'][int(random, 0, 5)]] = value(random, depth);
  return o;
}

/** encodeURIComponent, except that a lone surrogate becomes bytes that are not UTF-8 (sent as such). */
function enc(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
}

function queryString(random: () => number, names: string[]): string {
  const parts: string[] = [];
  for (const n of names) {
    if (random() < 0.4) {
      const v = value(random);
      parts.push(`${enc(n)}=${enc(typeof v === 'string' ? v : JSON.stringify(v))}`);
    }
  }
  if (random() < 0.1) parts.push(`${names[0]}=a&${names[0]}=b`);
  return parts.length ? `?${parts.join('&')}` : '';
}

interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

/** Valid JSON nested `depth` arrays deep (well inside the 64 KB body limit). */
function deep(depth: number): string {
  return `{"streamId":"deep","a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

/** Case i, reproducible alone from (SEED, i). */
function fuzzRequest(i: number, knownIds: string[]): FuzzRequest {
  const random = prng(SEED * 7919 + i);
  const id = () => {
    const r = random();
    if (r < 0.4 && knownIds.length) return knownIds[int(random, 0, knownIds.length - 1)];
    const v = value(random);
    return enc(typeof v === 'string' && v ? v : '00000000-0000-0000-0000-000000000000');
  };
  const json = (v: unknown) => JSON.stringify(v);
  switch (int(random, 0, 13)) {
    case 0:
    case 1:
    case 2:
      return { method: 'POST', path: '/api/v1/leases', body: json(object(random)) };
    case 3: {
      const bodies = [
        json(value(random)),
        '{"streamId": "a",',
        '{"streamId":"x"}garbage',
        '',
        'null',
        '[]',
        '"str"',
        '{"a":' + '['.repeat(2000),
        deep(int(random, 1000, 3000)),
        json({ streamId: 'big', client: 'y'.repeat(70_000) }),
        '\u0000\u0001',
      ];
      return {
        method: 'POST',
        path: '/api/v1/leases',
        body: bodies[int(random, 0, bodies.length - 1)],
        contentType:
          random() < 0.8
            ? 'application/json'
            : ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'][int(random, 0, 2)],
      };
    }
    case 4:
      return {
        method: 'POST',
        path: `/api/v1/leases/${id()}/renew`,
        body: json(random() < 0.5 ? { ttlSeconds: value(random) } : value(random)),
      };
    case 5:
      return {
        method: 'GET',
        path: `/api/v1/leases${queryString(random, ['state', 'streamId', 'port', 'nodeId', 'from', 'to', 'limit', 'cursor'])}`,
      };
    case 6:
      return { method: 'GET', path: `/api/v1/leases/${id()}${random() < 0.5 ? '/events' : ''}` };
    case 7:
      return {
        method: 'DELETE',
        path: random() < 0.5 ? `/api/v1/leases/${id()}` : `/api/v1/leases${queryString(random, ['streamId', 'streamId'])}`,
      };
    case 8:
      return {
        method: 'GET',
        path: `/api/v1/reconcile/${['reports', 'summary', `reports/${id()}`][int(random, 0, 2)]}${queryString(random, ['limit', 'withFindings', 'from', 'to', 'cursor', 'nodeId'])}`,
      };
    case 9:
      return {
        method: 'GET',
        path: `/api/v1/${random() < 0.5 ? 'ports' : 'webhooks/deliveries'}${queryString(random, ['nodeId', 'status', 'limit', 'cursor'])}`,
      };
    case 10:
    case 11: {
      const api = ['openRtpServer', 'closeRtpServer', 'listRtpServer', 'getRtpInfo', 'updateRtpServerSSRC'][int(random, 0, 4)];
      const args: Record<string, unknown> = {};
      if (random() < 0.85) args.secret = random() < 0.9 ? ZLM_SECRET : value(random);
      for (const n of ['port', 'stream_id', 'tcp_mode', 'ssrc', 're_use_port', 'only_track', 'vhost', 'app'])
        if (random() < 0.5) args[n] = random() < 0.5 ? value(random) : n === 'stream_id' ? `fz-${int(random, 0, 1e9)}` : int(random, 0, 3);
      if (random() < 0.5)
        return { method: 'GET', path: `/index/api/${api}${queryString(random, Object.keys(args)).replace(/=[^&]*/g, (m) => m)}` };
      return {
        method: 'POST',
        path: `/index/api/${api}`,
        body: json(args),
        contentType: random() < 0.8 ? 'application/json' : 'application/x-www-form-urlencoded',
      };
    }
    case 12:
      return {
        method: ['PUT', 'PATCH', 'OPTIONS', 'HEAD'][int(random, 0, 3)],
        path: ['/api/v1/leases', `/api/v1/leases/${id()}`, '/api/v1/ports'][int(random, 0, 2)],
        body: json(object(random)),
      };
    default:
      return {
        method: 'GET',
        path: `/${['health', 'metrics', 'api/v1', 'api/v1/leases/%', 'api/v1/leases/%E0%A4%A', 'docs-json', 'api/v1/../../etc/passwd'][int(random, 0, 6)]}`,
      };
  }
}

describe(`REST validation fuzz (${CASES} requests, seed ${SEED})`, () => {
  let db: TestDatabase;
  let svc: ServiceProcess;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: block.range(100),
      HTTP_PORT: String(block.http(0)),
      ZLM_API_SECRET: ZLM_SECRET,
      LOG_LEVEL: 'error',
    });
  });
  afterAll(async () => {
    agent.destroy();
    await svc?.stop();
    await db?.drop();
  });

  const send = (r: FuzzRequest) => sendTo(block.http(0), agent, r);

  it(
    'answers every random request with 2xx or 4xx (a typed error body on /api/v1), never 5xx, and keeps running',
    async () => {
      // every case runs; the first 10 problems are kept for the report, the rest counted
      const kept: string[] = [];
      let problemCount = 0;
      const problems = { push: (p: string) => (problemCount++ < 10 ? kept.push(p) : 0) };
      /** problems by the shape of the request, to tell one bug found many times from many bugs */
      const kinds: Record<string, number> = {};
      const kindOf = (r: FuzzRequest, status: number) =>
        `${r.method} ${r.path
          .split('?')[0]
          .replace(/\/leases\/[^/]+/, '/leases/:id')
          .replace(/reports\/[^/]+/, 'reports/:id')} → ${status}${r.body?.startsWith('{"streamId":"deep"') ? ' (deeply nested JSON)' : ''}`;
      const statuses: Record<number, number> = {};
      const knownIds: string[] = [];
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < CASES; i = next++) {
          const r = fuzzRequest(i, knownIds);
          let res;
          try {
            res = await send(r);
          } catch (err) {
            problems.push(`case ${i} (seed ${SEED}) ${r.method} ${r.path}: ${String(err)}`);
            continue;
          }
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const shown =
            r.body === undefined ? '' : r.body.length > 160 ? `${r.body.slice(0, 80)}…${r.body.slice(-40)} (${r.body.length} B)` : r.body;
          const repro = `case ${i} (seed ${SEED}) ${r.method} ${r.path} ${shown} → ${res.status} ${res.text.slice(0, 200)}`;
          if (res.status >= 500 || res.status < 200) {
            problems.push(repro);
            kinds[kindOf(r, res.status)] = (kinds[kindOf(r, res.status)] ?? 0) + 1;
          }
          let body: any = null;
          try {
            body = res.text ? JSON.parse(res.text) : null;
          } catch {
            // not JSON
          }
          if (
            r.path.startsWith('/api/v1') &&
            res.status >= 400 &&
            res.status < 500 &&
            r.method !== 'HEAD' &&
            (typeof body?.error !== 'string' || body?.statusCode !== res.status)
          )
            problems.push(`untyped error body: ${repro}`);
          // Leases made by valid bodies are released at once, so the range never runs out.
          if (r.method === 'POST' && r.path === '/api/v1/leases' && (res.status === 201 || res.status === 200) && body?.id) {
            if (knownIds.length < 50) knownIds.push(body.id);
            await send({ method: 'DELETE', path: `/api/v1/leases/${body.id}` });
          }
          if (r.path.startsWith('/index/api/openRtpServer') && body?.code === 0) {
            const sid = /stream_id=([^&]*)/.exec(r.path)?.[1] ?? (r.body ? JSON.parse(r.body).stream_id : undefined);
            if (sid !== undefined) await send({ method: 'GET', path: `/index/api/closeRtpServer?secret=${ZLM_SECRET}&stream_id=${sid}` });
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      console.log(`REST fuzz: ${CASES} requests, statuses ${JSON.stringify(statuses)}, ${problemCount} problems ${JSON.stringify(kinds)}`);
      expect(kept).toEqual([]);
      expect(svc.child.exitCode).toBeNull();
      expect(svc.child.signalCode).toBeNull();
      const ports = await send({ method: 'GET', path: '/api/v1/ports' });
      expect(ports.status).toBe(200);
      // validation was really exercised: both rejections and acceptances happened
      expect(statuses[400] ?? 0).toBeGreaterThan(0);
      expect((statuses[201] ?? 0) + (statuses[200] ?? 0)).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
