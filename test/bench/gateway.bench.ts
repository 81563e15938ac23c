/**
 * Gateway benchmark: the built service (dist/) ingesting the ZLMediaKit capture through real
 * loopback sockets, driven by the built device simulator (apps/device-sim) as separate
 * processes. Service CPU comes from /proc/<pid>/stat, RSS from /proc/<pid>/status, event-loop
 * delay from the service's own monitorEventLoopDelay (enabled by PORTLEDGER_BENCH_EVENTLOOP_FILE).
 *
 *   (a) flat out, 50 and 200 connections: service CPU seconds per GB ingested
 *   (b) real time at 2 Mb/s per stream, stepping up the stream count while the service stays
 *       under one core and the simulator keeps up
 *   (c) as (b) with one live pull (GET stream.ps) per stream
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { api, startService, type ServiceProcess } from '../support/service-process';
import { tempDir } from '../support/temp-dir';
import { writeBenchResult } from './support/report';

const SIM = join(__dirname, '..', '..', 'dist/apps/device-sim/src/main.js');
const HTTP_PORT = 17999; // port blocks 10..19 belong to the gateway's tests and bench
const RANGE = '14000-17989';
const CLK_TCK = 100;
const REALTIME_STEPS = (process.env.GW_BENCH_STEPS ?? '100,250,500,750,1000,1250,1500').split(',').map(Number);
const PULL_STEPS = (process.env.GW_BENCH_PULL_STEPS ?? '100,250,500,750').split(',').map(Number);
const WINDOW_S = Number(process.env.GW_BENCH_WINDOW_S ?? 8);
const WARMUP_S = 4;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function runSim(args: string[]): { done: Promise<{ code: number | null; summary: any; stderr: string }>; pid: number } {
  const child = spawn(process.execPath, [SIM, ...args, '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; summary: any; stderr: string }>((resolve) =>
    child.once('exit', (code) => {
      let summary: any = null;
      try {
        summary = JSON.parse(out.trim().split('\n').pop() ?? '');
      } catch {
        // reported below
      }
      resolve({ code, summary, stderr: err });
    }),
  );
  return { done, pid: child.pid! };
}

describe('gateway bench', () => {
  const dir = tempDir('portledger-bench-');
  const elFile = join(dir.path, 'eventloop.jsonl');
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;
  const metrics: Record<string, number> = {};
  const rows: Record<string, unknown>[] = [];
  /** the service's RSS before any lease: the base for memory per session */
  let idleRss = 0;

  beforeAll(async () => {
    svc = await startService({
      HTTP_PORT: String(HTTP_PORT),
      MEDIA_PORT_RANGE: RANGE,
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
      RECORD_DIR: join(dir.path, 'records'),
      LOG_LEVEL: 'warn',
      LOG_REQUESTS: 'false',
      CONNECT_TIMEOUT_S: '600',
      IDLE_TIMEOUT_S: '600',
      PORTLEDGER_BENCH_EVENTLOOP_FILE: elFile,
    });
    client = api(svc.baseUrl);
    await sleep(1000);
    idleRss = rssKb(svc.child.pid!);
  });
  afterAll(async () => {
    await svc?.stop();
    dir.cleanup();
  });

  const pid = () => svc.child.pid!;

  async function makeLeases(n: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        const r = await client.post('/api/v1/leases', { streamId: `${prefix}-${i}` });
        if (r.status !== 201) throw new Error(`lease ${i}: ${r.status} ${JSON.stringify(r.body)}`);
        ids[i] = r.body.id;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return ids;
  }

  async function releaseAll(ids: string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < ids.length; i = next++) await client.del(`/api/v1/leases/${ids[i]}`);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  /** Starts an event-loop measurement window: the service's probe resets when it finds the file empty. */
  function eventLoopWindowStart(): void {
    writeFileSync(elFile, '');
  }

  /** The service's event-loop delay over the window (p99 and max, ms), read at its end. */
  async function eventLoopWindowEnd(): Promise<{ p99: number; max: number }> {
    await sleep(1100);
    try {
      const last = JSON.parse(readFileSync(elFile, 'utf8').trim().split('\n').pop()!);
      return { p99: last.p99, max: last.max };
    } catch {
      return { p99: NaN, max: NaN };
    }
  }

  /** Sim processes for `ids`, split so no single simulator process has to carry more than `perSim` streams. */
  function simsFor(ids: string[], args: string[], perSim: number) {
    const sims = [];
    for (let i = 0; i < ids.length; i += perSim)
      sims.push(runSim(['--api', svc.baseUrl, '--lease', ids.slice(i, i + perSim).join(','), ...args]));
    return sims;
  }

  async function flatOut(streams: number, loops: number): Promise<number> {
    const ids = await makeLeases(streams, `flat${streams}`);
    const cpu0 = cpuSeconds(pid());
    const sims = simsFor(ids, ['--flat', '--loops', String(loops)], streams);
    const results = await Promise.all(sims.map((s) => s.done));
    await sleep(300);
    const cpu = cpuSeconds(pid()) - cpu0;
    const bytes = results.reduce((n, r) => n + (r.summary?.bytes ?? 0), 0);
    const errors = results.reduce((n, r) => n + (r.summary?.errors ?? 1), 0);
    const seconds = Math.max(...results.map((r) => r.summary?.seconds ?? NaN));
    await releaseAll(ids);
    const perGB = cpu / (bytes / 1e9);
    rows.push({
      phase: `flat c${streams}`,
      GB: bytes / 1e9,
      seconds,
      MBps: bytes / 1e6 / seconds,
      cpu_s: cpu,
      cpu_s_per_GB: perGB,
      errors,
    });
    return perGB;
  }

  async function realtime(
    streams: number,
    pulls: boolean,
  ): Promise<{ cpuPct: number; mbps: number; rss: number; rssPerKb: number; el: { p99: number; max: number }; ok: boolean }> {
    const ids = await makeLeases(streams, `rt${pulls ? 'p' : ''}${streams}`);
    const responses: IncomingMessage[] = [];
    const reqs = pulls
      ? ids.map((id) => {
          const req = request(`${svc.baseUrl}/api/v1/leases/${id}/stream.ps`, { agent: false }, (res) => {
            responses.push(res);
            res.resume();
          });
          req.on('error', () => undefined);
          req.end();
          return req;
        })
      : [];
    const duration = WARMUP_S + WINDOW_S + 2;
    const sims = simsFor(ids, ['--realtime', '--bitrate-mbps', '2', '--stagger', '--loops', '0', '--duration', String(duration)], 500);
    await sleep(WARMUP_S * 1000);
    const t0 = Date.now();
    const cpu0 = cpuSeconds(pid());
    eventLoopWindowStart();
    await sleep(WINDOW_S * 1000);
    const cpu = cpuSeconds(pid()) - cpu0;
    const t1 = Date.now();
    const rss = rssKb(pid());
    const el = await eventLoopWindowEnd();
    const results = await Promise.all(sims.map((s) => s.done));
    const mbps = results.reduce((n, r) => n + (r.summary?.mbps ?? 0), 0);
    const errors = results.reduce((n, r) => n + (r.summary?.errors ?? 1), 0);
    const cpuPct = (cpu / ((t1 - t0) / 1000)) * 100;
    for (const r of reqs) r.destroy();
    await releaseAll(ids);
    const rssPerKb = (rss - idleRss) / streams;
    // The simulator is paced; it keeps up when it delivered at least 95 % of 2 Mb/s per stream.
    const ok = errors === 0 && mbps >= 0.95 * 2 * streams;
    rows.push({
      phase: `realtime${pulls ? '+pull' : ''} ${streams}`,
      offeredMbps: 2 * streams,
      mbps,
      cpuPct,
      rssKb: rss,
      rssPerSessionKb: rssPerKb,
      elP99: el.p99,
      elMax: el.max,
      errors,
      pulls: responses.length,
    });
    return { cpuPct, mbps, rss, rssPerKb, el, ok };
  }

  /**
   * Live pulls at a fixed size: 750 real-time streams with one `stream.ps` pull each, measured
   * whether or not the service stays under one core (the stepped phase above stops at the first
   * step that does not). GW_BENCH_PULL_750=0 skips it.
   */
  async function pulls750(): Promise<void> {
    if (process.env.GW_BENCH_PULL_750 === '0') return;
    const r = await realtime(750, true);
    metrics.realtime_with_pull_eventloop_p99_ms_750 = r.el.p99;
    metrics.realtime_with_pull_eventloop_max_ms_750 = r.el.max;
    metrics.realtime_with_pull_cpu_pct_750 = r.cpuPct;
    metrics.realtime_with_pull_delivered_ok_750 = r.ok ? 1 : 0;
  }

  it('measures flat-out ingest, real-time capacity under one core, and the same with live pulls', async () => {
    await pulls750();
    metrics.cpu_s_per_GB_flat_out_c50 = await flatOut(50, 10);
    metrics.cpu_s_per_GB_flat_out_c200 = await flatOut(200, 3);

    let best: Awaited<ReturnType<typeof realtime>> | null = null;
    let first: Awaited<ReturnType<typeof realtime>> | null = null;
    let bestN = 0;
    for (const n of REALTIME_STEPS) {
      const r = await realtime(n, false);
      if (r.cpuPct >= 100 || !r.ok) break;
      first ??= r;
      best = r;
      bestN = n;
    }
    metrics.realtime_2mbps_streams_under_one_core = bestN;
    if (best) {
      metrics.realtime_cpu_pct_at_max = best.cpuPct;
      metrics.realtime_cpu_pct_per_stream = best.cpuPct / bestN;
      metrics.realtime_cpu_pct_per_mbps = best.cpuPct / (2 * bestN);
      metrics.rss_kb_per_session = best.rssPerKb;
      metrics.rss_kb_idle_service = idleRss;
      if (first && bestN > REALTIME_STEPS[0]) metrics.rss_kb_per_session_marginal = (best.rss - first.rss) / (bestN - REALTIME_STEPS[0]);
      metrics.eventloop_p99_ms_at_max = best.el.p99;
      metrics.eventloop_max_ms_at_max = best.el.max;
    }

    let pullN = 0;
    for (const n of PULL_STEPS) {
      const r = await realtime(n, true);
      if (r.cpuPct >= 100 || !r.ok) break;
      pullN = n;
      metrics.realtime_with_pull_cpu_pct_at_max = r.cpuPct;
      metrics.realtime_with_pull_eventloop_p99_ms_at_max = r.el.p99;
    }
    metrics.realtime_with_pull_streams_under_one_core = pullN;

    console.table(rows);
    writeBenchResult('gateway', metrics);
  });
});
