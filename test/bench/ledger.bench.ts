import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'vitest';
import { LeaseRepository } from '@app/ledger';
import { startLedger } from '../support/ledger-harness';
import { startService } from '../support/service-process';
import { createTestDatabase } from '../support/test-databases';
import { jsonClient } from './support/http-client';
import { HISTORY_LEASES, seedBenchHistory } from './support/history';
import { percentile, writeBenchResult } from './support/report';

// Ports for benchmarks: below the ephemeral range and above the test blocks (10000-29599).
const HTTP_PORT = 29_990;
const LISTEN_PROBE_PORT = 29_600;
const RANGE = { start: 29_602, end: 29_979 }; // 189 pairs; at most 32 are leased at once
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

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

  // 3) The real service over HTTP (keep-alive fetch, one connection pool per process).
  const db = await createTestDatabase('sqlite');
  const seeder = await startLedger('sqlite', { range: RANGE, nodeId: 'e2e' }, db); // startService's NODE_ID
  await seedBenchHistory(seeder.app);
  await seeder.close();
  const svc = await startService({ DATABASE_URL: db.url, MEDIA_PORT_RANGE: `${RANGE.start}-${RANGE.end}`, HTTP_PORT: String(HTTP_PORT) });
  const client = jsonClient(svc.baseUrl);
  const http = async (streamId: string) => {
    const t0 = performance.now();
    const r = await client.post('/api/v1/leases', { streamId });
    const ms = performance.now() - t0;
    if (r.status !== 201) throw new Error(`allocate answered ${r.status}: ${JSON.stringify(r.body)}`);
    await client.del(`/api/v1/leases/${r.body.id}`);
    return ms;
  };
  await runCycles(4, 0.5, http);
  const h1 = await runCycles(1, SECONDS, http);
  const h32 = await runCycles(32, SECONDS, http);
  client.close();
  await svc.stop();
  await db.drop();

  metrics.http_cycles_per_s_c1 = h1.cyclesPerS;
  metrics.http_cycles_per_s_c32 = h32.cyclesPerS;
  metrics.http_allocate_p50_ms_c1 = percentile(h1.allocMs, 50);
  metrics.http_allocate_p50_ms_c32 = percentile(h32.allocMs, 50);
  metrics.http_allocate_p99_ms_c32 = percentile(h32.allocMs, 99);

  const httpMsPerCycle = 1000 / h1.cyclesPerS;
  metrics.share_http_pct_c1 = (100 * (httpMsPerCycle - usecaseMsPerCycle)) / httpMsPerCycle;
  metrics.share_listen_close_pct_c1 = (100 * listenMsPerCycle) / httpMsPerCycle;
  metrics.share_ledger_db_pct_c1 = (100 * (usecaseMsPerCycle - listenMsPerCycle)) / httpMsPerCycle;
  metrics.listen_close_pair_ms = listenMsPerCycle;
  metrics.usecase_cycle_ms_c1 = usecaseMsPerCycle;
  metrics.http_cycle_ms_c1 = httpMsPerCycle;
  writeBenchResult('ledger', metrics);
});
