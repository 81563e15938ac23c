import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { test } from 'vitest';
import { startService, type ServiceProcess } from '../support/service-process';
import { createTestDatabase, PG_BASE_URL, type TestDatabase } from '../support/test-databases';
import { jsonClient } from './support/http-client';
import { percentile, writeBenchResult } from './support/report';

// Bench ports 29600-29999 only (shared with the ledger bench; benches run one at a time).
// Three nodes use the same range on 127.0.0.1/.2/.3, as three hosts would.
const RANGE = '29602-29979'; // 189 pairs; at most 32 per node are leased at once
const HTTP_PORTS = [29_990, 29_991, 29_992];
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

interface CycleStats {
  cyclesPerS: number;
  allocMs: number[];
  errors: number;
}

/** `workers` clients per service, each allocating then releasing in a loop for `seconds`. */
async function runCycles(services: ServiceProcess[], workers: number, seconds: number, tag: string): Promise<CycleStats> {
  const clients = services.map((s) => jsonClient(s.baseUrl));
  const allocMs: number[] = [];
  let cycles = 0;
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    clients.flatMap((client, c) =>
      Array.from({ length: workers }, async (_, w) => {
        for (let n = 0; performance.now() < until; n++) {
          const t0 = performance.now();
          const r = await client.post('/api/v1/leases', { streamId: `${tag}-${c}-${w}-${n}` });
          const ms = performance.now() - t0;
          if (r.status !== 201) {
            errors++;
            continue;
          }
          allocMs.push(ms);
          const d = await client.del(`/api/v1/leases/${r.body.id}`);
          if (d.status !== 200) errors++;
          cycles++;
        }
      }),
    ),
  );
  clients.forEach((c) => c.close());
  return { cyclesPerS: cycles / seconds, allocMs, errors };
}

async function startNodes(db: TestDatabase, n: number): Promise<ServiceProcess[]> {
  const out: ServiceProcess[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await startService({
        DATABASE_URL: db.url,
        NODE_ID: `bench-${i + 1}`,
        MEDIA_BIND_HOST: HOSTS[i],
        MEDIA_ADVERTISED_HOST: HOSTS[i],
        MEDIA_PORT_RANGE: RANGE,
        HTTP_PORT: String(HTTP_PORTS[i]),
        LOG_LEVEL: 'warn',
      }),
    );
  }
  return out;
}

async function singleNode(kind: 'sqlite' | 'postgres', metrics: Record<string, number>, keepDb = false): Promise<TestDatabase> {
  const db = await createTestDatabase(kind);
  const [svc] = await startNodes(db, 1);
  const prefix = kind === 'postgres' ? 'pg' : 'sqlite';
  await runCycles([svc], 4, 0.5, `${prefix}-warm`);
  const c1 = await runCycles([svc], 1, SECONDS, `${prefix}-c1`);
  const c16 = await runCycles([svc], 16, SECONDS, `${prefix}-c16`);
  const c32 = await runCycles([svc], 32, SECONDS, `${prefix}-c32`);
  await svc.stop();
  metrics[`${prefix}_cycles_per_s_c1`] = c1.cyclesPerS;
  metrics[`${prefix}_allocate_p50_ms_c1`] = percentile(c1.allocMs, 50);
  metrics[`${prefix}_cycles_per_s_c16`] = c16.cyclesPerS;
  metrics[`${prefix}_allocate_p50_ms_c16`] = percentile(c16.allocMs, 50);
  metrics[`${prefix}_allocate_p99_ms_c16`] = percentile(c16.allocMs, 99);
  metrics[`${prefix}_cycles_per_s_c32`] = c32.cyclesPerS;
  metrics[`${prefix}_allocate_p50_ms_c32`] = percentile(c32.allocMs, 50);
  metrics[`${prefix}_allocate_p99_ms_c32`] = percentile(c32.allocMs, 99);
  metrics[`${prefix}_errors`] = c1.errors + c16.errors + c32.errors;
  if (!keepDb) await db.drop();
  return db;
}

/** Real row sizes from the leases the run made: bytes per ended lease (row + its events + index entries). */
async function measureSizes(db: TestDatabase, metrics: Record<string, number>): Promise<void> {
  const schema = new URL(db.url).searchParams.get('schema');
  const c = new Client({ connectionString: PG_BASE_URL });
  await c.connect();
  try {
    await c.query(`SET search_path = ${schema}`);
    await c.query('VACUUM ANALYZE leases');
    await c.query('VACUUM ANALYZE lease_events');
    const q = async (sql: string) => Number((await c.query(sql)).rows[0].v);
    const leases = await q('SELECT count(*) AS v FROM leases');
    const events = await q('SELECT count(*) AS v FROM lease_events');
    const leasesTable = await q(`SELECT pg_table_size('leases') AS v`);
    const leasesIdx = await q(`SELECT pg_indexes_size('leases') AS v`);
    const eventsTable = await q(`SELECT pg_table_size('lease_events') AS v`);
    const eventsIdx = await q(`SELECT pg_indexes_size('lease_events') AS v`);
    const activeIdx = await q(`SELECT pg_relation_size('ux_leases_active_port') + pg_relation_size('ux_leases_active_stream') AS v`);
    metrics.pg_rows_leases = leases;
    metrics.pg_rows_events_per_lease = events / leases;
    metrics.pg_bytes_per_lease_row = leasesTable / leases;
    metrics.pg_bytes_per_lease_indexes = leasesIdx / leases;
    metrics.pg_bytes_per_lease_events = eventsTable / leases;
    metrics.pg_bytes_per_lease_event_indexes = eventsIdx / leases;
    metrics.pg_bytes_per_lease_total = (leasesTable + leasesIdx + eventsTable + eventsIdx) / leases;
    metrics.pg_active_partial_indexes_bytes = activeIdx;
  } finally {
    await c.end();
  }
}

test('postgres: allocate+release on PostgreSQL and SQLite in the same run, and three nodes at once', async () => {
  const metrics: Record<string, number> = {};
  const pgDb = await singleNode('postgres', metrics, true);
  await singleNode('sqlite', metrics);
  metrics.ratio_pg_to_sqlite_cycles_c32 = metrics.pg_cycles_per_s_c32 / metrics.sqlite_cycles_per_s_c32;
  metrics.ratio_pg_to_sqlite_p99_c32 = metrics.pg_allocate_p99_ms_c32 / metrics.sqlite_allocate_p99_ms_c32;
  await measureSizes(pgDb, metrics);
  await pgDb.drop();

  // Three nodes on one PostgreSQL schema, 32 clients each, all at once.
  const fleetDb = await createTestDatabase('postgres');
  const nodes = await startNodes(fleetDb, 3);
  await runCycles(nodes, 4, 0.5, 'fleet-warm');
  const fleet = await runCycles(nodes, 32, SECONDS, 'fleet');
  await Promise.all(nodes.map((n) => n.stop()));
  await fleetDb.drop();
  metrics.fleet3_cycles_per_s = fleet.cyclesPerS;
  metrics.fleet3_allocate_p50_ms_c32 = percentile(fleet.allocMs, 50);
  metrics.fleet3_allocate_p99_ms_c32 = percentile(fleet.allocMs, 99);
  metrics.fleet3_errors = fleet.errors;
  writeBenchResult('postgres', metrics);
});
