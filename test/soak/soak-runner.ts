import { createSocket } from 'node:dgram';
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { prng } from '../fixtures/rtp/fixtures';
import { listeningPorts, boundUdpPorts } from '../support/proc-net';
import { createTestDatabase, PG_BASE_URL, type TestDatabase } from '../support/test-databases';
import { InvariantChecker, listActive, type Violation } from './soak-checker';
import { ActiveDeviceServer, DialledDevice, garbageCases, LightDevice, UdpLightDevice, type SoakDevice } from './soak-devices';
import { CuttableProxy, FlappingReceiver, grabPort, type ReceiverMode } from './soak-faults';
import { soakClient } from './soak-http';
import { SoakService, sleep } from './soak-service';

export const BEHAVIOURS = [
  'never-connects',
  'stream-then-delete',
  'stream-then-silent',
  'garbage',
  'abrupt-reconnect',
  'connect-twice',
  'delete-twice',
  'short-ttl',
  'renew',
  'quick-cycle',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export const TRANSPORTS = ['tcp-passive', 'udp', 'tcp-active'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/**
 * The transports each behaviour runs on. A UDP device cannot reconnect (the service latched
 * onto its first source) or connect twice, and nothing closes it; a TCP-ACTIVE device is
 * dialled, so only the service can open a second connection.
 */
const BEHAVIOUR_TRANSPORTS: Record<Behaviour, readonly Transport[]> = {
  'never-connects': TRANSPORTS,
  'stream-then-delete': TRANSPORTS,
  'stream-then-silent': TRANSPORTS,
  garbage: ['tcp-passive', 'tcp-active'],
  'abrupt-reconnect': ['tcp-passive'],
  'connect-twice': ['tcp-passive'],
  'delete-twice': TRANSPORTS,
  'short-ttl': TRANSPORTS,
  renew: TRANSPORTS,
  'quick-cycle': TRANSPORTS,
};

/** Default transport mix: the transports a behaviour allows, in these proportions. */
export const DEFAULT_TRANSPORT_MIX: Record<Transport, number> = { 'tcp-passive': 2, udp: 1, 'tcp-active': 1 };

/** Default mix: every device behaviour often, plus plain allocate+release cycles for volume. */
export const DEFAULT_MIX: Record<Behaviour, number> = {
  'never-connects': 8,
  'stream-then-delete': 12,
  'stream-then-silent': 8,
  garbage: 8,
  'abrupt-reconnect': 8,
  'connect-twice': 8,
  'delete-twice': 8,
  'short-ttl': 8,
  renew: 8,
  'quick-cycle': 24,
};

export interface SoakOptions {
  db: 'sqlite' | 'postgres';
  durationS: number;
  range: { start: number; end: number };
  httpPort: number;
  /** the flapping webhook receiver listens here */
  webhookPort: number;
  /** the cuttable PostgreSQL proxy listens here (postgres runs) */
  pgProxyPort: number;
  workers: number;
  seed: number;
  connectTimeoutS: number;
  idleTimeoutS: number;
  reconcileIntervalS: number;
  reconcileMinAgeS: number;
  /** [min, max] seconds between faults of each kind; null turns that fault off */
  killEveryS: [number, number] | null;
  foreignEveryS: [number, number] | null;
  foreignHoldS: [number, number];
  webhookFlapEveryS: [number, number] | null;
  dbCutEveryS: [number, number] | null;
  dbCutForS: [number, number];
  checkIntervalMs: number;
  /** checker self-test: at this second a listener nobody registers grabs a free port of the range for 25 s */
  rogueListenerAtS?: number;
  /** checker self-test: at this second a UDP socket nobody registers takes a free port of the range for 25 s */
  rogueUdpAtS?: number;
  /** quick-cycle repetitions per pick */
  quickBatch: number;
  mix: Record<Behaviour, number>;
  transportMix: Record<Transport, number>;
  logLevel: string;
  progressEveryS: number;
  logDir?: string;
  log: (line: string) => void;
}

export function defaultOptions(over: Partial<SoakOptions> = {}): SoakOptions {
  return {
    db: 'sqlite',
    durationS: 600,
    range: { start: 30000, end: 30999 },
    httpPort: 31000,
    webhookPort: 31001,
    pgProxyPort: 31002,
    workers: 64,
    seed: 1,
    connectTimeoutS: 2,
    idleTimeoutS: 2,
    reconcileIntervalS: 3,
    reconcileMinAgeS: 2,
    killEveryS: [25, 70],
    foreignEveryS: [3, 10],
    foreignHoldS: [2, 10],
    webhookFlapEveryS: [2, 8],
    dbCutEveryS: [20, 60],
    dbCutForS: [1, 6],
    checkIntervalMs: 1000,
    quickBatch: 5,
    mix: { ...DEFAULT_MIX },
    transportMix: { ...DEFAULT_TRANSPORT_MIX },
    logLevel: 'warn',
    progressEveryS: 10,
    log: (line) => console.log(line),
    ...over,
  };
}

export interface SoakResult {
  metrics: Record<string, number>;
  violations: Violation[];
  anomalies: Record<string, number>;
  timeline: { at: number; what: string }[];
  logDir: string;
  options: Omit<SoakOptions, 'log'>;
}

const ACTIVE = new Set(['reserved', 'listening', 'streaming']);
const isActive = (state: string) => ACTIVE.has(state);

/** An answer that means "the service (or its database) is not available right now": back off, retry. */
class Unavailable extends Error {}

interface Lease {
  id: string;
  transport: Transport;
  rtpPort: number;
  rtcpPort: number;
  state: string;
  releaseReason: string | null;
  expiresAt: string;
}

/**
 * The soak: the real service as a child process on a real database, `workers` simulated
 * signalling clients + devices churning leases with every behaviour of the issue, a fault
 * injector (kill -9 and restart, foreign port grabs, a flapping webhook receiver, database
 * connection cuts), and the invariant checker reading /proc and the API throughout. Ends by
 * releasing everything and checking that nothing is left.
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const t0 = Date.now();
  const rel = () => Date.now() - t0;
  const logDir = o.logDir ?? join(tmpdir(), `portledger-soak-${o.db}-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(logDir, { recursive: true });
  const timeline: { at: number; what: string }[] = [];
  const note = (what: string) => {
    timeline.push({ at: rel(), what });
    if (timeline.length > 20_000) timeline.splice(0, 10_000);
  };
  const violations: Violation[] = [];
  const anomalies: Record<string, number> = {};
  const anomaly = (kind: string) => (anomalies[kind] = (anomalies[kind] ?? 0) + 1);
  const violate = (v: Omit<Violation, 'at'>) => {
    const full = { ...v, at: rel() };
    violations.push(full);
    note(`VIOLATION ${v.kind}: ${v.detail}`);
    o.log(`[soak ${(full.at / 1000).toFixed(1)}s] VIOLATION ${v.kind}: ${v.detail}`);
  };

  // --- database (PostgreSQL through a proxy we can cut) ---
  let db: TestDatabase;
  let databaseUrl: string;
  let proxy: CuttableProxy | null = null;
  if (o.db === 'sqlite') {
    db = await createTestDatabase('sqlite');
    databaseUrl = db.url;
  } else {
    db = await createTestDatabase('postgres');
    const upstream = new URL(PG_BASE_URL);
    proxy = new CuttableProxy(o.pgProxyPort, Number(upstream.port || 5432), upstream.hostname);
    await proxy.start();
    const via = new URL(db.url);
    via.hostname = '127.0.0.1';
    via.port = String(o.pgProxyPort);
    databaseUrl = via.toString();
  }

  // --- webhook receiver ---
  const secret = `soak-${o.seed}`;
  const receiver = new FlappingReceiver(o.webhookPort, secret);
  await receiver.start();

  // --- the service ---
  const graceMs = (3 * o.reconcileIntervalS + o.reconcileMinAgeS) * 1000 + 4000;
  let quietUntil = 0;
  const service = new SoakService(
    {
      HTTP_PORT: String(o.httpPort),
      DATABASE_URL: databaseUrl,
      NODE_ID: 'soak',
      MEDIA_PORT_RANGE: `${o.range.start}-${o.range.end}`,
      LEASE_TTL_S: '60',
      CONNECT_TIMEOUT_S: String(o.connectTimeoutS),
      IDLE_TIMEOUT_S: String(o.idleTimeoutS),
      RECONCILE_INTERVAL_S: String(o.reconcileIntervalS),
      RECONCILE_MIN_AGE_S: String(o.reconcileMinAgeS),
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: secret,
      RECORD_DIR: join(logDir, 'records'),
      LOG_LEVEL: o.logLevel,
    },
    join(logDir, 'service.log'),
    (e) => {
      violate({
        kind: 'crash',
        key: `exit:${e.at}`,
        detail: `service exited on its own: code ${e.code} signal ${e.signal}; last lines:\n${e.tail.slice(-15).join('\n')}`,
      });
      // Keep the soak going on a fresh process, as an operator's supervisor would.
      if (!finished) restart('after a crash').catch((err) => note(`restart after crash failed: ${String(err)}`));
    },
  );
  let restarting: Promise<void> | null = null;
  const restart = (why: string): Promise<void> => {
    restarting ??= (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await service.start();
          quietUntil = Date.now() + graceMs;
          note(`service up (${why}), generation ${service.generation}`);
          return;
        } catch (err) {
          note(`start attempt ${attempt} failed: ${String(err).slice(0, 300)}`);
          if (attempt >= 5) throw err;
          await sleep(1000);
        }
      }
    })().finally(() => (restarting = null));
    return restarting;
  };

  let stopping = false;
  let finished = false;
  await restart('initial start');

  const client = soakClient(service.baseUrl, Math.max(16, o.workers + 8));
  const checkClient = soakClient(service.baseUrl, 4);

  // --- counters ---
  const counts: Record<string, number> = {};
  const count = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
  const allocMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  let churned = 0;
  let doubleAllocations = 0;
  const owned = new Set<string>();
  const holders = new Map<number, string>();

  const noteStatus = (method: string, r: { status: number; body: any }) => {
    const key = `${method}_${r.status}${r.status >= 400 && r.body?.error ? `_${r.body.error}` : ''}`;
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    if (r.status >= 500 && r.status !== 503)
      violate({
        kind: 'http-500',
        key: `${method}:${rel()}`,
        detail: `${method} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`,
      });
  };

  /** Client-side double-allocation check: a pair handed out again while its previous lease is still active. */
  const checkHolder = async (lease: Lease) => {
    const prev = holders.get(lease.rtpPort);
    holders.set(lease.rtpPort, lease.id);
    if (!prev || prev === lease.id) return;
    try {
      const r = await client.get(`/api/v1/leases/${prev}`);
      if (r.status === 200 && isActive(r.body.state)) {
        doubleAllocations++;
        violate({
          kind: 'double-allocation',
          key: `client:${lease.id}`,
          detail: `pair ${lease.rtpPort} given to ${lease.id} while ${prev} is still ${r.body.state}`,
        });
      }
    } catch {
      // service away: cannot tell
    }
  };

  const allocate = async (streamId: string, extra: Record<string, unknown>): Promise<Lease> => {
    const started = performance.now();
    let r;
    try {
      r = await client.post('/api/v1/leases', { streamId, ttlSeconds: 60, ...extra });
    } catch (err) {
      count('network_errors');
      throw new Unavailable(String(err));
    }
    const ms = performance.now() - started;
    noteStatus('POST', r);
    if (r.status === 201) {
      churned++;
      allocMs.push(ms);
      owned.add(r.body.id);
      await checkHolder(r.body);
      return r.body;
    }
    if (r.status === 503) throw new Unavailable(r.body?.error ?? '503');
    anomaly(`allocate-${r.status}-${r.body?.error ?? ''}`);
    throw new Unavailable(`allocate ${r.status}`);
  };

  /** DELETE, retried while the service is away; the ended lease, or null when it never answered. */
  const release = async (id: string, maxMs = 45_000): Promise<Lease | null> => {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      try {
        const r = await client.del(`/api/v1/leases/${id}`);
        noteStatus('DELETE', r);
        if (r.status === 200) {
          if (!isActive(r.body.state)) owned.delete(id);
          else anomaly('delete-answered-active');
          return r.body;
        }
        if (r.status !== 503) {
          anomaly(`delete-${r.status}`);
          return null;
        }
      } catch {
        count('network_errors');
      }
      await sleep(300);
    }
    return null;
  };

  const getLease = async (id: string): Promise<Lease | null> => {
    try {
      const r = await client.get(`/api/v1/leases/${id}`);
      noteStatus('GET', r);
      return r.status === 200 ? r.body : null;
    } catch {
      return null;
    }
  };

  /** TCP-ACTIVE: asks the service to dial the device at 127.0.0.1:port. */
  const connectTo = async (id: string, port: number): Promise<void> => {
    let r;
    try {
      r = await client.post(`/api/v1/leases/${id}/connect`, { address: '127.0.0.1', port });
    } catch (err) {
      count('network_errors');
      throw new Unavailable(String(err));
    }
    noteStatus('CONNECT', r);
    if (r.status === 503) throw new Unavailable(r.body?.error ?? '503');
    if (r.status < 200 || r.status >= 300) {
      anomaly(`connect-${r.status}-${r.body?.error ?? ''}`);
      throw new Unavailable(`connect ${r.status}`);
    }
  };

  /** Polls until the service ends the lease by itself; releases it (and notes it) if it never does. */
  const waitEnd = async (id: string, maxMs: number, pollMs = 500): Promise<Lease | null> => {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      const l = await getLease(id);
      if (l && !isActive(l.state)) {
        owned.delete(id);
        return l;
      }
      await sleep(pollMs);
    }
    anomaly('did-not-end-in-time');
    await release(id);
    return null;
  };

  const expectEnd = (b: Behaviour, l: Lease | null, state: string, reason: string) => {
    if (l && (l.state !== state || l.releaseReason !== reason))
      anomaly(`${b}:${l.transport ?? 'tcp-passive'}:ended-${l.state}/${l.releaseReason}`);
  };

  const cT = o.connectTimeoutS;
  const iT = o.idleTimeoutS;
  const endWait = (s: number) => (s + 30) * 1000;

  const run: Record<Behaviour, (w: Worker) => Promise<void>> = {
    'never-connects': async (w) => {
      const l = await allocate(w.sid(), { connectTimeoutSeconds: cT, ...w.transport('never-connects') });
      // TCP-ACTIVE: the connect timeout runs from the connect call; dial a port nobody listens on.
      if (l.transport === 'tcp-active') await connectTo(l.id, await w.deadPort());
      expectEnd('never-connects', await waitEnd(l.id, endWait(cT)), 'expired', 'connect-timeout');
    },
    'stream-then-delete': async (w) => {
      const l = await allocate(w.sid(), { connectTimeoutSeconds: 10, idleTimeoutSeconds: 10, ...w.transport('stream-then-delete') });
      const d = await w.device(l);
      try {
        await d.stream(w.between(300, 1500));
        const ended = await release(l.id);
        if (ended && ended.state !== 'released') anomaly(`stream-then-delete:ended-${ended.state}/${ended.releaseReason}`);
        if (ended && l.transport !== 'udp' && !(await d.closedWithin(5000))) anomaly('stream-then-delete:device-socket-open-after-release');
      } finally {
        d.destroy();
      }
    },
    'stream-then-silent': async (w) => {
      const l = await allocate(w.sid(), { connectTimeoutSeconds: 10, idleTimeoutSeconds: iT, ...w.transport('stream-then-silent') });
      const d = await w.device(l);
      try {
        await d.stream(w.between(300, 1000));
        // keeps the connection open, sends nothing more
        expectEnd('stream-then-silent', await waitEnd(l.id, endWait(iT)), 'expired', 'idle-timeout');
        if (l.transport !== 'udp' && !(await d.closedWithin(5000))) anomaly('stream-then-silent:device-socket-open-after-expiry');
      } finally {
        d.destroy();
      }
    },
    garbage: async (w) => {
      const l = await allocate(w.sid(), { connectTimeoutSeconds: 10, idleTimeoutSeconds: 10, ...w.transport('garbage') });
      const d = await w.device(l);
      try {
        if (w.rng() < 0.5) await d.stream(w.between(100, 400)); // good packets first, sometimes
        const cases = garbageCases();
        const bytes = w.rng() < 0.6 ? cases[Math.floor(w.rng() * cases.length)] : w.garbage();
        d.write(bytes);
        if (!(await d.closedWithin(5000))) anomaly('garbage:connection-not-closed');
        const after = await getLease(l.id);
        if (after && !isActive(after.state)) anomaly(`garbage:lease-ended-${after.state}/${after.releaseReason}`);
        await release(l.id);
      } finally {
        d.destroy();
      }
    },
    'abrupt-reconnect': async (w) => {
      const l = await allocate(w.sid(), { connectTimeoutSeconds: 10, idleTimeoutSeconds: 10, ...w.transport('abrupt-reconnect') });
      const first = await w.device(l);
      await first.stream(w.between(200, 800));
      first.reset();
      await first.closed;
      await sleep(w.between(50, 500));
      let second = await w.device(l);
      try {
        if (await second.closedWithin(300)) {
          // the service had not seen the reset yet: one more try, as a device would
          anomaly('abrupt-reconnect:first-reconnect-rejected');
          await sleep(500);
          second = await w.device(l);
        }
        await second.stream(w.between(200, 800));
        if (second.isClosed) anomaly('abrupt-reconnect:reconnect-closed');
        if (w.rng() < 0.5) second.reset();
        await release(l.id);
      } finally {
        second.destroy();
      }
    },
    'connect-twice': async (w) => {
      const l = await allocate(w.sid(), { connectTimeoutSeconds: 10, idleTimeoutSeconds: 10, ...w.transport('connect-twice') });
      const a = await w.device(l);
      let b: SoakDevice | null = null;
      try {
        await a.stream(w.between(100, 400));
        b = await w.device(l);
        if (!(await b.closedWithin(3000))) anomaly('connect-twice:second-connection-not-closed');
        await a.stream(w.between(100, 400));
        if (a.isClosed) anomaly('connect-twice:first-connection-closed');
        await release(l.id);
      } finally {
        a.destroy();
        b?.destroy();
      }
    },
    'delete-twice': async (w) => {
      const l = await allocate(w.sid(), { ...w.transport('delete-twice') });
      let d: SoakDevice | null = null;
      try {
        if (w.rng() < 0.5) {
          d = await w.device(l);
          await d.stream(w.between(100, 300));
        }
        const [x, y] = await Promise.all([release(l.id), release(l.id)]);
        const z = await release(l.id);
        if (x && y && z && !(x.state === y.state && y.state === z.state && z.state === 'released'))
          anomaly(`delete-twice:states-${x.state}-${y.state}-${z.state}`);
      } finally {
        d?.destroy();
      }
    },
    'short-ttl': async (w) => {
      const ttl = w.between(1, 3);
      const l = await allocate(w.sid(), {
        ttlSeconds: ttl,
        connectTimeoutSeconds: 30,
        idleTimeoutSeconds: 30,
        ...w.transport('short-ttl'),
      });
      let d: SoakDevice | null = null;
      try {
        if (w.rng() < 0.5) {
          d = await w.device(l);
          void d.stream(ttl * 1000 + 3000);
        }
        expectEnd('short-ttl', await waitEnd(l.id, endWait(ttl)), 'expired', 'ttl');
      } finally {
        d?.destroy();
      }
    },
    renew: async (w) => {
      const l = await allocate(w.sid(), { ttlSeconds: 2, connectTimeoutSeconds: 30, idleTimeoutSeconds: 30, ...w.transport('renew') });
      const d = await w.device(l);
      try {
        void d.stream(6000);
        let last = Date.parse(l.expiresAt);
        for (let i = 0; i < 3; i++) {
          await sleep(w.between(500, 1200));
          let r;
          try {
            r = await client.post(`/api/v1/leases/${l.id}/renew`, { ttlSeconds: 3 });
          } catch {
            count('network_errors');
            continue;
          }
          noteStatus('RENEW', r);
          if (r.status === 200) {
            const at = Date.parse(r.body.expiresAt);
            if (!(at >= last)) anomaly('renew:expiry-moved-back');
            last = at;
          } else if (r.status === 409) {
            anomaly('renew:lease-ended-before-renew');
            break;
          }
        }
        if (w.rng() < 0.5) await release(l.id);
        else expectEnd('renew', await waitEnd(l.id, endWait(3)), 'expired', 'ttl');
      } finally {
        d.destroy();
      }
    },
    'quick-cycle': async (w) => {
      for (let i = 0; i < o.quickBatch && !stopping; i++) {
        const l = await allocate(w.sid(), { ...w.transport('quick-cycle') });
        const ended = await release(l.id);
        if (ended && ended.state !== 'released') anomaly(`quick-cycle:ended-${ended.state}/${ended.releaseReason}`);
      }
    },
  };

  // --- workers ---
  const mixTotal = BEHAVIOURS.reduce((s, b) => s + (o.mix[b] ?? 0), 0);
  const stopAt = t0 + o.durationS * 1000;
  class Worker {
    readonly rng: () => number;
    private n = 0;
    constructor(readonly index: number) {
      this.rng = prng(o.seed * 1000 + index);
    }
    sid(): string {
      return `soak-${o.seed}-${this.index}-${this.n++}`;
    }
    between(min: number, max: number): number {
      return Math.floor(min + this.rng() * (max - min + 1));
    }
    /** `{ transport }` for the allocation body: one of the behaviour's transports, by the mix. */
    transport(b: Behaviour): { transport?: Transport } {
      const allowed = BEHAVIOUR_TRANSPORTS[b].filter((t) => (o.transportMix[t] ?? 0) > 0);
      let x = this.rng() * allowed.reduce((n, t) => n + o.transportMix[t], 0);
      for (const t of allowed) {
        x -= o.transportMix[t];
        if (x < 0) {
          count(`transport_${t}`);
          return t === 'tcp-passive' ? {} : { transport: t };
        }
      }
      return {};
    }
    /** The lease's device: it connects (TCP-PASSIVE), sends datagrams (UDP), or is dialled (TCP-ACTIVE). */
    async device(l: Lease): Promise<SoakDevice> {
      const frame = Math.floor(this.rng() * 2000);
      try {
        if (l.transport === 'udp') return await UdpLightDevice.open(l.rtpPort, frame);
        if (l.transport !== 'tcp-active') return await LightDevice.connect(l.rtpPort, frame);
        const server = await ActiveDeviceServer.listen(frame);
        try {
          const dialled = server.dialled(10_000);
          // Should the connect call fail (the service away), nobody awaits the dial any more.
          dialled.catch(() => undefined);
          await connectTo(l.id, server.port);
          return new DialledDevice(server, await dialled);
        } catch (err) {
          server.close();
          throw err;
        }
      } catch (err) {
        throw new Unavailable(String(err));
      }
    }
    /** A loopback port nobody listens on (bound, then closed at once). */
    async deadPort(): Promise<number> {
      const s = await ActiveDeviceServer.listen(0);
      const port = s.port;
      s.close();
      return port;
    }
    garbage(): Buffer {
      const b = Buffer.alloc(this.between(16, 4096));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(this.rng() * 256);
      b[0] = 0xff; // an impossible RFC 4571 length (65,280+): rejected at the first frame
      return b;
    }
    pick(): Behaviour {
      let x = this.rng() * mixTotal;
      for (const b of BEHAVIOURS) {
        x -= o.mix[b] ?? 0;
        if (x < 0) return b;
      }
      return 'quick-cycle';
    }
    async loop(): Promise<void> {
      while (!stopping && Date.now() < stopAt) {
        const b = this.pick();
        try {
          await run[b](this);
          count(`behaviour_${b}`);
        } catch (err) {
          count(`behaviour_${b}_aborted`);
          if (!(err instanceof Unavailable)) {
            anomaly(`exception:${b}:${String(err).slice(0, 80)}`);
            note(`worker ${this.index} ${b}: ${String(err).slice(0, 300)}`);
          }
          await sleep(this.between(100, 400));
        }
      }
    }
  }

  // --- fault injectors ---
  const rng = prng(o.seed);
  const rand = (min: number, max: number) => min + rng() * (max - min);
  const pause = async (ms: number) => {
    const until = Date.now() + ms;
    while (!stopping && Date.now() < until) await sleep(Math.min(200, until - Date.now()));
  };
  let faultLock: Promise<void> = Promise.resolve();
  const exclusive = async (fn: () => Promise<void>) => {
    const prev = faultLock;
    let done!: () => void;
    faultLock = new Promise((r) => (done = r));
    await prev;
    try {
      await fn();
    } finally {
      done();
    }
  };
  let kills = 0;
  let foreignGrabs = 0;
  let foreignTaken = 0;
  const foreignPorts = new Set<number>();

  const killer = async () => {
    if (!o.killEveryS) return;
    for (;;) {
      await pause(rand(o.killEveryS[0], o.killEveryS[1]) * 1000);
      if (stopping) return;
      await exclusive(async () => {
        // Every fault gets its whole grace window observed before the next one.
        while (!stopping && Date.now() < quietUntil) await sleep(200);
        if (stopping || !service.ready) return;
        kills++;
        note(`kill -9 #${kills} (pid ${service.child?.pid})`);
        await service.kill9();
        await restart(`after kill -9 #${kills}`);
      });
    }
  };

  const foreign = async () => {
    if (!o.foreignEveryS) return;
    const held: Promise<void>[] = [];
    for (;;) {
      await pause(rand(o.foreignEveryS[0], o.foreignEveryS[1]) * 1000);
      if (stopping) break;
      const listening = new Set(listeningPorts(o.range.start, o.range.end));
      let port = 0;
      for (let i = 0; i < 50 && !port; i++) {
        const p = o.range.start + Math.floor(rng() * (o.range.end - o.range.start + 1));
        if (!listening.has(p) && !foreignPorts.has(p)) port = p;
      }
      if (!port) continue;
      foreignPorts.add(port);
      const g = await grabPort(port, '127.0.0.1');
      if (g.outcome !== 'held') {
        foreignTaken++;
        await g.release();
        foreignPorts.delete(port);
        continue;
      }
      foreignGrabs++;
      note(`foreign process holds ${port}`);
      const holdMs = rand(o.foreignHoldS[0], o.foreignHoldS[1]) * 1000;
      held.push(
        (async () => {
          const until = Date.now() + holdMs;
          while (!stopping && Date.now() < until) await sleep(200);
          await g.release();
          foreignPorts.delete(port);
        })(),
      );
    }
    await Promise.all(held);
  };

  const flapper = async () => {
    if (!o.webhookFlapEveryS) return;
    const modes: ReceiverMode[] = ['up', 'error', 'down'];
    for (;;) {
      await pause(rand(o.webhookFlapEveryS[0], o.webhookFlapEveryS[1]) * 1000);
      if (stopping) break;
      const next = modes[Math.floor(rng() * modes.length)];
      await receiver.setMode(next);
    }
    await receiver.setMode('up');
  };

  const cutter = async () => {
    if (!proxy || !o.dbCutEveryS) return;
    for (;;) {
      await pause(rand(o.dbCutEveryS[0], o.dbCutEveryS[1]) * 1000);
      if (stopping) return;
      await exclusive(async () => {
        while (!stopping && Date.now() < quietUntil) await sleep(200);
        if (stopping || !service.ready) return;
        const refuse = rng() < 0.5;
        const forMs = rand(o.dbCutForS[0], o.dbCutForS[1]) * 1000;
        note(`database cut #${proxy.cuts + 1} (${refuse ? 'refused' : 'reset'}) for ${Math.round(forMs)} ms`);
        await proxy.cut(refuse);
        await sleep(forMs);
        await proxy.restore();
        quietUntil = Date.now() + graceMs;
        note('database restored');
      });
    }
  };

  const rogue = async () => {
    if (o.rogueListenerAtS === undefined) return;
    await pause(o.rogueListenerAtS * 1000);
    if (stopping) return;
    const listening = new Set(listeningPorts(o.range.start, o.range.end));
    for (let p = o.range.end; p >= o.range.start; p--) {
      if (listening.has(p)) continue;
      const g = await grabPort(p, '127.0.0.1');
      if (g.outcome !== 'held') {
        await g.release();
        continue;
      }
      note(`rogue listener (not registered with the checker) on ${p}`);
      const until = Date.now() + 25_000;
      while (!stopping && Date.now() < until) await sleep(200);
      await g.release();
      return;
    }
  };

  const rogueUdp = async () => {
    if (o.rogueUdpAtS === undefined) return;
    await pause(o.rogueUdpAtS * 1000);
    if (stopping) return;
    const bound = new Set(boundUdpPorts(o.range.start, o.range.end));
    for (let p = o.range.end - 2; p >= o.range.start; p--) {
      if (bound.has(p)) continue;
      const socket = createSocket('udp4');
      const ok = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(p, '127.0.0.1', () => resolve(true));
      });
      if (!ok) {
        socket.close();
        continue;
      }
      note(`rogue UDP socket (not registered with the checker) on ${p}`);
      const until = Date.now() + 25_000;
      while (!stopping && Date.now() < until) await sleep(200);
      socket.close();
      return;
    }
  };

  // --- invariant checker ---
  const checker = new InvariantChecker(checkClient, {
    range: o.range,
    graceMs,
    foreignPorts: () => foreignPorts,
    quietUntil: () => quietUntil,
    generation: () => service.generation,
    ready: () => service.ready && !(proxy?.isCut ?? false),
    report: (v) => {
      if (v.kind === 'double-allocation') doubleAllocations++;
      violate(v);
    },
  });
  let checking = true;
  const checkLoop = (async () => {
    while (checking) {
      const started = Date.now();
      try {
        await checker.round();
      } catch (err) {
        note(`checker error: ${String(err)}`);
      }
      await sleep(Math.max(50, o.checkIntervalMs - (Date.now() - started)));
    }
  })();

  let uncaughtSeen = 0;
  const progress = (async () => {
    let lastChurned = 0;
    let lastAt = Date.now();
    while (!finished) {
      await sleep(Math.min(o.progressEveryS * 1000, 1000));
      for (; uncaughtSeen < service.uncaughtLines.length; uncaughtSeen++) {
        violate({ kind: 'uncaught-error', key: `uncaught:${uncaughtSeen}`, detail: service.uncaughtLines[uncaughtSeen] });
      }
      if (Date.now() - lastAt >= o.progressEveryS * 1000) {
        const now = Date.now();
        const rate = ((churned - lastChurned) * 1000) / (now - lastAt);
        lastChurned = churned;
        lastAt = now;
        o.log(
          `[soak ${o.db} ${Math.round(rel() / 1000)}s] leases ${churned} (${rate.toFixed(1)}/s) kills ${kills} db-cuts ${proxy?.cuts ?? 0} foreign ${foreignGrabs} webhook-flaps ${receiver.flaps} checks ${checker.rounds} violations ${violations.length}`,
        );
      }
    }
  })();

  note(`soak started: ${JSON.stringify({ db: o.db, seed: o.seed, workers: o.workers, range: o.range, durationS: o.durationS })}`);
  const workers = Array.from({ length: o.workers }, (_, i) => new Worker(i));
  const faults = [killer(), foreign(), flapper(), cutter(), rogue(), rogueUdp()];
  const working = Promise.all(workers.map((w) => w.loop()));

  await pause(o.durationS * 1000);
  const churnEndedAt = Date.now();
  stopping = true;
  note('stopping: workers finish their current behaviour');
  await Promise.race([working, sleep(90_000)]);
  await Promise.all(faults);
  await proxy?.restore();
  const pendingRestart = restarting as Promise<void> | null; // assigned in closures: TS narrows it to null
  if (pendingRestart) await pendingRestart.catch(() => undefined);
  if (!service.ready) await restart('for the end checks');
  checking = false;
  await checkLoop;

  // --- release everything, then nothing may be left ---
  let releasedAtEnd = 0;
  for (let round = 0; round < 10; round++) {
    let active: { id: string }[] = [];
    try {
      active = await listActive(client);
    } catch {
      await sleep(1000);
      continue;
    }
    if (active.length === 0) break;
    for (let i = 0; i < active.length; i += 16) {
      await Promise.all(active.slice(i, i + 16).map((l) => release(l.id, 20_000)));
    }
    releasedAtEnd += active.length;
  }
  note(`released ${releasedAtEnd} leases still active at the end`);
  const settleUntil = Date.now() + (3 * o.reconcileIntervalS + o.reconcileMinAgeS) * 1000 + 15_000;
  let listeners: number[] = [];
  let udpLeft: number[] = [];
  let ports: any = null;
  let activeAtEnd = -1;
  for (;;) {
    listeners = listeningPorts(o.range.start, o.range.end);
    udpLeft = boundUdpPorts(o.range.start, o.range.end);
    try {
      const r = await client.get('/api/v1/ports');
      ports = r.body;
      activeAtEnd = (await listActive(client)).length;
    } catch {
      // retry
    }
    const sumOk = ports && ports.free + ports.leased + ports.quarantined === ports.pairs;
    if ((listeners.length === 0 && udpLeft.length === 0 && ports?.leased === 0 && activeAtEnd === 0 && sumOk) || Date.now() > settleUntil)
      break;
    await sleep(500);
  }
  const dbCounts = await ledgerCounts(db, databaseUrl);
  if (listeners.length > 0)
    violate({
      kind: 'end-state',
      key: 'leaked-listeners',
      detail: `${listeners.length} listeners left in the range after releasing everything: ${listeners.slice(0, 20).join(',')}`,
    });
  if (udpLeft.length > 0)
    violate({
      kind: 'end-state',
      key: 'leaked-udp-sockets',
      detail: `${udpLeft.length} UDP sockets left in the range after releasing everything: ${udpLeft.slice(0, 20).join(',')}`,
    });
  if (!ports || ports.leased !== 0 || activeAtEnd !== 0)
    violate({
      kind: 'end-state',
      key: 'leased-at-end',
      detail: `after releasing everything: /ports leased ${ports?.leased}, API active ${activeAtEnd}`,
    });
  if (ports && ports.free + ports.leased + ports.quarantined !== ports.pairs)
    violate({
      kind: 'end-state',
      key: 'sum-at-end',
      detail: `/ports at the end: ${JSON.stringify({ free: ports.free, leased: ports.leased, quarantined: ports.quarantined, pairs: ports.pairs })}`,
    });
  if (ports && (dbCounts.active !== ports.leased || dbCounts.quarantined !== ports.quarantined))
    violate({
      kind: 'end-state',
      key: 'ledger-vs-ports',
      detail: `ledger tables: ${dbCounts.active} active, ${dbCounts.quarantined} quarantined; /ports: ${ports.leased} leased, ${ports.quarantined} quarantined`,
    });
  for (; uncaughtSeen < service.uncaughtLines.length; uncaughtSeen++)
    violate({ kind: 'uncaught-error', key: `uncaught:${uncaughtSeen}`, detail: service.uncaughtLines[uncaughtSeen] });

  finished = true;
  const exit = await service.stop();
  if (exit && exit.code !== 0)
    violate({ kind: 'end-state', key: 'shutdown', detail: `SIGTERM exit code ${exit.code} signal ${exit.signal}` });
  const listenersAfterStop = listeningPorts(o.range.start, o.range.end).length + boundUdpPorts(o.range.start, o.range.end).length;
  if (listenersAfterStop > 0)
    violate({
      kind: 'end-state',
      key: 'after-stop',
      detail: `${listenersAfterStop} listeners or UDP sockets in the range after the service stopped`,
    });
  await progress;
  client.close();
  checkClient.close();
  service.close();
  await receiver.close();
  await proxy?.close();
  await db.drop().catch(() => undefined);

  const churnS = (churnEndedAt - t0) / 1000;
  const kindsOf = (k: string) => violations.filter((v) => v.kind === k).length;
  const metrics: Record<string, number> = {
    duration_s: churnS,
    workers: o.workers,
    pairs: Math.floor((o.range.end - o.range.start + 1) / 2),
    seed: o.seed,
    leases_churned: churned,
    allocations_per_s: churned / churnS,
    allocate_p50_ms: pct(allocMs, 50),
    allocate_p99_ms: pct(allocMs, 99),
    allocate_max_ms: allocMs.reduce((m, v) => (v > m ? v : m), 0),
    violations: violations.length,
    double_allocations: doubleAllocations,
    active_not_listening: kindsOf('active-not-listening'),
    listeners_without_lease: kindsOf('listener-without-lease'),
    pair_count_mismatches: kindsOf('pair-count-mismatch'),
    crashes: kindsOf('crash') + kindsOf('uncaught-error'),
    http_500: kindsOf('http-500'),
    leaked_listeners: listeners.length,
    leaked_udp_sockets: udpLeft.length,
    leased_at_end: ports?.leased ?? -1,
    ledger_active_at_end: dbCounts.active,
    released_at_end: releasedAtEnd,
    kills,
    db_cuts: proxy?.cuts ?? 0,
    foreign_grabs: foreignGrabs,
    foreign_grab_lost_race: foreignTaken,
    webhook_flaps: receiver.flaps,
    webhook_deliveries: receiver.deliveries,
    webhook_bad_signatures: receiver.badSignatures,
    checks: checker.rounds,
    checks_skipped: checker.skipped,
    transient_differences: checker.transient,
    anomalies: Object.values(anomalies).reduce((a, b) => a + b, 0),
  };
  for (const b of BEHAVIOURS) {
    metrics[`behaviour_${b}`] = counts[`behaviour_${b}`] ?? 0;
    metrics[`behaviour_${b}_aborted`] = counts[`behaviour_${b}_aborted`] ?? 0;
  }
  for (const t of TRANSPORTS) {
    metrics[`transport_${t}`] = counts[`transport_${t}`] ?? 0;
  }
  metrics.network_errors = counts.network_errors ?? 0;
  for (const [k, v] of Object.entries(statusCounts)) metrics[`http_${k}`] = v;

  const { log: _log, ...options } = o;
  const result: SoakResult = { metrics, violations, anomalies, timeline, logDir, options };
  writeFileSync(join(logDir, 'soak-result.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}

function pct(sample: number[], p: number): number {
  if (sample.length === 0) return NaN;
  const s = Float64Array.from(sample).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** The ledger's own tables, read directly: active leases and quarantined pairs of the soak's node. */
async function ledgerCounts(db: TestDatabase, url: string): Promise<{ active: number; quarantined: number }> {
  const activeSql = `SELECT COUNT(*) AS n FROM leases WHERE node_id = 'soak' AND state IN ('reserved','listening','streaming')`;
  const quarantineSql = `SELECT COUNT(*) AS n FROM quarantined_pairs WHERE node_id = 'soak'`;
  if (db.config.kind === 'sqlite') {
    const sqlite = new Database(db.config.path, { readonly: true, fileMustExist: true });
    try {
      const a = sqlite.prepare(activeSql).get() as { n: number };
      const q = sqlite.prepare(quarantineSql).get() as { n: number };
      return { active: Number(a.n), quarantined: Number(q.n) };
    } finally {
      sqlite.close();
    }
  }
  const schema = new URL(url).searchParams.get('schema');
  const c = new Client({ connectionString: PG_BASE_URL });
  await c.connect();
  try {
    await c.query(`SET search_path TO ${schema}`);
    const a = await c.query(activeSql);
    const q = await c.query(quarantineSql);
    return { active: Number(a.rows[0].n), quarantined: Number(q.rows[0].n) };
  } finally {
    await c.end();
  }
}
