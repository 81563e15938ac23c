import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'vitest';
import { LeaseRepository } from '@app/ledger';
import { startLedger } from '../support/ledger-harness';
import { startService } from '../support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/test-databases';
import { jsonClient } from './support/http-client';
import { HISTORY_LEASES, seedBenchHistory } from './support/history';
import { processCpuMs } from './support/proc-cpu';
import { percentile, writeBenchResult } from './support/report';
import { startZlm, ZLM_SECRET } from './support/zlmediakit';

// Ports for benchmarks: below the ephemeral range and above the test blocks (10000-29599).
const HTTP_PORT = 29_990;
const LISTEN_PROBE_PORT = 29_600;
const RANGE = { start: 29_602, end: 29_979 }; // 189 pairs; at most 32 are leased at once
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
// The service's half of the range; ZLMediaKit (ZLM_BIN) takes its RTP-server pool from the other.
const SERVICE_RANGE = { start: 29_602, end: 29_799 };
const ZLM_PORTS = { http: 29_982, rtp: 29_981, portRange: '29800-29979' };
const ZLM_BIN = process.env.ZLM_BIN;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (ZLM_BIN ? 3 : 1));
const PORTLEDGER_ZLM_SECRET = 'bench-zlm-api-secret';
/** A directory: the service runs with `--cpu-prof` and writes its V8 CPU profile there when it stops. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
/** node flags for the service, e.g. `--trace-gc-nvp` (space-separated) */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** a file that receives everything the service wrote (its log, and the output of BENCH_NODE_ARGS) */
const SERVICE_LOG = process.env.BENCH_SERVICE_LOG;
/**
 * Another build's main.js (e.g. a checkout of the commit before a change, built): it runs beside
 * this tree's service, interleaved round by round like ZLMediaKit, as target `base` (REST cycles),
 * and the bench reports `ratio_http_to_base_*`. On this VM, whose speed drifts by more than a
 * small change saves, only a ratio taken in the same run says what the change bought.
 */
const BASE_MAIN = process.env.BENCH_BASE_MAIN;
const BASE_HTTP_PORT = 29_988;
/** With a base build, the service's half of the range is split between the two. */
const BASE_SPLIT = 29_700;

type Client = ReturnType<typeof jsonClient>;

interface Target {
  name: 'http' | 'zlmapi' | 'zlm' | 'base';
  /** the server process whose CPU is counted */
  pid: number;
  cycle: (streamId: string) => Promise<number>;
}

interface Measured extends CycleStats {
  cpuMsPerCycle: number;
}

interface CycleStats {
  cyclesPerS: number;
  allocMs: number[];
}

/** `workers` clients, each allocating then releasing in a loop for `seconds`. */
async function runCycles(workers: number, seconds: number, cycle: (i: string) => Promise<number>): Promise<CycleStats> {
  const allocMs: number[] = [];
  let cycles = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; performance.now() < until; n++) {
        allocMs.push(await cycle(`w${w}-${n}`));
        cycles++;
      }
    }),
  );
  return { cyclesPerS: cycles / seconds, allocMs };
}

/** Runs the target's cycles and reads its server's CPU time before and after. */
async function measured(t: Target, workers: number, seconds: number): Promise<Measured> {
  const cpu0 = processCpuMs(t.pid);
  const stats = await runCycles(workers, seconds, t.cycle);
  const cpuMs = processCpuMs(t.pid) - cpu0;
  return { ...stats, cpuMsPerCycle: cpuMs / (stats.cyclesPerS * seconds) };
}

/** POST /api/v1/leases then DELETE it; answers the POST's time. */
function restCycle(client: Client) {
  return async (streamId: string) => {
    const t0 = performance.now();
    const r = await client.post('/api/v1/leases', { streamId });
    const ms = performance.now() - t0;
    if (r.status !== 201) throw new Error(`allocate answered ${r.status}: ${JSON.stringify(r.body)}`);
    const d = await client.del(`/api/v1/leases/${r.body.id}`);
    if (d.status !== 200) throw new Error(`release answered ${d.status}: ${JSON.stringify(d.body)}`);
    return ms;
  };
}

/** openRtpServer then closeRtpServer, the way WVP calls them (portledger's API and ZLMediaKit's alike). */
function zlmApiCycle(client: Client, secret: string) {
  return async (streamId: string) => {
    const t0 = performance.now();
    const r = await client.get(`/index/api/openRtpServer?secret=${secret}&port=0&tcp_mode=1&stream_id=${streamId}`);
    const ms = performance.now() - t0;
    if (r.body?.code !== 0) throw new Error(`openRtpServer answered ${JSON.stringify(r.body)}`);
    const d = await client.get(`/index/api/closeRtpServer?secret=${secret}&stream_id=${streamId}`);
    if (d.body?.code !== 0) throw new Error(`closeRtpServer answered ${JSON.stringify(d.body)}`);
    return ms;
  };
}

/** A new SQLite ledger for the service (startService's NODE_ID) with the bench's history in it. */
async function seededLedger(range: { start: number; end: number }): Promise<TestDatabase> {
  const db = await createTestDatabase('sqlite');
  const seeder = await startLedger('sqlite', { range, nodeId: 'e2e' }, db);
  await seedBenchHistory(seeder.app);
  await seeder.close();
  return db;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function listenClose(port: number): Promise<void> {
  const open = (p: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port: p, exclusive: true }, () => resolve(s));
    });
  const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));
  return Promise.all([open(port), open(port + 1)]).then(([a, b]) => Promise.all([close(a), close(b)]).then(() => undefined));
}

test('ledger: allocate+release through HTTP and through the use case', async () => {
  const metrics: Record<string, number> = {};

  // 1) In-process use case on a real SQLite file: no HTTP.
  const h = await startLedger('sqlite', { range: RANGE });
  metrics.history_leases = HISTORY_LEASES;
  await seedBenchHistory(h.app);
  const uc = async (streamId: string) => {
    const t0 = performance.now();
    const { lease } = await h.allocate.allocate({ streamId });
    const ms = performance.now() - t0;
    await h.release.release(lease.id);
    return ms;
  };
  await runCycles(4, 0.5, uc); // warm-up
  const uc1 = await runCycles(1, SECONDS, uc);
  const uc32 = await runCycles(32, SECONDS, uc);
  metrics.usecase_cycles_per_s = uc32.cyclesPerS;
  metrics.usecase_cycles_per_s_c1 = uc1.cyclesPerS;
  metrics.usecase_allocate_p99_ms_c32 = percentile(uc32.allocMs, 99);
  // The expiry sweeper's read (every 5 s, on the event loop): what history used to slow down.
  const leases = h.app.get(LeaseRepository);
  const sweepMs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await leases.findOverdue(h.options.nodeId, Date.now());
    sweepMs.push(performance.now() - t0);
  }
  metrics.expiry_sweep_read_p50_ms = percentile(sweepMs, 50);
  await h.destroy();

  // 2) Where the time goes, c1: listen()+close() of a pair alone.
  const lc = await runCycles(1, 2, async () => {
    const t0 = performance.now();
    await listenClose(LISTEN_PROBE_PORT);
    return performance.now() - t0;
  });
  const listenMsPerCycle = 1000 / lc.cyclesPerS;
  const usecaseMsPerCycle = 1000 / uc1.cyclesPerS;

  // 3) The real service over HTTP (keep-alive, one connection pool per process): its REST API
  // and its ZLMediaKit-compatible API, and with ZLM_BIN ZLMediaKit itself, interleaved round
  // by round so that a busy machine hits all of them alike. Server CPU per cycle comes from
  // /proc/<pid>/stat (steady on a shared machine; cycles/s and p99 are not).
  const serviceRange = BASE_MAIN ? { start: SERVICE_RANGE.start, end: BASE_SPLIT - 1 } : SERVICE_RANGE;
  const db = await seededLedger(serviceRange);
  const svc = await startService(
    {
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: `${serviceRange.start}-${serviceRange.end}`,
      HTTP_PORT: String(HTTP_PORT),
      ZLM_API_SECRET: PORTLEDGER_ZLM_SECRET,
    },
    { nodeArgs: [...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []), ...NODE_ARGS] },
  );
  // The base build gets a ledger of its own, seeded alike (by this tree's ledger, so with this
  // tree's migrations: a base build must not need other ones).
  const baseRange = { start: BASE_SPLIT, end: SERVICE_RANGE.end };
  const baseDb = BASE_MAIN ? await seededLedger(baseRange) : null;
  const base = baseDb
    ? await startService(
        { DATABASE_URL: baseDb.url, MEDIA_PORT_RANGE: `${baseRange.start}-${baseRange.end}`, HTTP_PORT: String(BASE_HTTP_PORT) },
        { main: BASE_MAIN },
      )
    : null;
  const baseClient = base ? jsonClient(base.baseUrl) : null;
  const zlm = ZLM_BIN ? await startZlm(ZLM_BIN, ZLM_PORTS) : null;
  const client = jsonClient(svc.baseUrl);
  const svcPid = svc.child.pid as number;
  const targets: Target[] = [
    { name: 'http', pid: svcPid, cycle: restCycle(client) },
    { name: 'zlmapi', pid: svcPid, cycle: zlmApiCycle(client, PORTLEDGER_ZLM_SECRET) },
  ];
  const zlmClient = zlm ? jsonClient(zlm.baseUrl) : null;
  if (zlm && zlmClient) targets.push({ name: 'zlm', pid: zlm.pid, cycle: zlmApiCycle(zlmClient, ZLM_SECRET) });
  if (base && baseClient) targets.push({ name: 'base', pid: base.child.pid as number, cycle: restCycle(baseClient) });
  const samples = new Map<string, Measured[]>();
  try {
    for (const t of targets) await runCycles(4, 0.5, t.cycle); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const workers of [1, 16]) {
        for (const t of targets) {
          const key = `${t.name}_c${workers}`;
          samples.set(key, [...(samples.get(key) ?? []), await measured(t, workers, SECONDS)]);
        }
      }
    }
    samples.set('http_c32', [await measured(targets[0], 32, SECONDS)]);
  } finally {
    client.close();
    zlmClient?.close();
    baseClient?.close();
    await zlm?.stop();
    await base?.stop();
    await baseDb?.drop();
    await svc.stop();
    if (SERVICE_LOG) writeFileSync(SERVICE_LOG, svc.output());
    await db.drop();
  }
  metrics.rounds = ROUNDS;
  for (const [key, runs] of samples) {
    const [name, c] = key.split('_');
    metrics[`${name}_cycles_per_s_${c}`] = median(runs.map((r) => r.cyclesPerS));
    metrics[`${name}_cpu_ms_per_cycle_${c}`] = median(runs.map((r) => r.cpuMsPerCycle));
    const allocMs = runs.flatMap((r) => r.allocMs);
    metrics[`${name}_allocate_p50_ms_${c}`] = percentile(allocMs, 50);
    metrics[`${name}_allocate_p99_ms_${c}`] = percentile(allocMs, 99);
  }
  if (zlm) {
    for (const c of ['c1', 'c16']) {
      metrics[`ratio_http_to_zlm_cpu_${c}`] = metrics[`http_cpu_ms_per_cycle_${c}`] / metrics[`zlm_cpu_ms_per_cycle_${c}`];
      metrics[`ratio_http_to_zlm_cycles_${c}`] = metrics[`http_cycles_per_s_${c}`] / metrics[`zlm_cycles_per_s_${c}`];
      metrics[`ratio_zlmapi_to_zlm_cpu_${c}`] = metrics[`zlmapi_cpu_ms_per_cycle_${c}`] / metrics[`zlm_cpu_ms_per_cycle_${c}`];
    }
  }

  if (base) {
    // Round by round (the two ran back to back), then the median: drift between rounds cancels.
    for (const c of ['c1', 'c16']) {
      const ours = samples.get(`http_${c}`) ?? [];
      const theirs = samples.get(`base_${c}`) ?? [];
      metrics[`ratio_http_to_base_cpu_${c}`] = median(ours.map((r, i) => r.cpuMsPerCycle / theirs[i].cpuMsPerCycle));
      metrics[`ratio_http_to_base_cycles_${c}`] = median(ours.map((r, i) => r.cyclesPerS / theirs[i].cyclesPerS));
    }
  }

  const httpMsPerCycle = 1000 / metrics.http_cycles_per_s_c1;
  metrics.share_http_pct_c1 = (100 * (httpMsPerCycle - usecaseMsPerCycle)) / httpMsPerCycle;
  metrics.share_listen_close_pct_c1 = (100 * listenMsPerCycle) / httpMsPerCycle;
  metrics.share_ledger_db_pct_c1 = (100 * (usecaseMsPerCycle - listenMsPerCycle)) / httpMsPerCycle;
  metrics.listen_close_pair_ms = listenMsPerCycle;
  metrics.usecase_cycle_ms_c1 = usecaseMsPerCycle;
  metrics.http_cycle_ms_c1 = httpMsPerCycle;
  writeBenchResult('ledger', metrics);
});
