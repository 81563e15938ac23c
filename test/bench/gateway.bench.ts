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
 *   (d) as (b) with every lease forwarding its stream over TCP (RFC 4571) to a local receiver
 *       (a separate process that reads and discards), compared with (b) at the same stream count
 *   (e) as (b) over UDP (one RTP packet per datagram), with the kernel's drop counters of the
 *       range's UDP sockets (/proc/net/udp `drops`); with GW_BENCH_UDP_BASELINE_MAIN (another
 *       build's dist/apps/portledger/src/main.js, e.g. the commit before a change), each step
 *       runs on that build first, then on this one, so both are measured under the same load
 *   (f) TCP-ACTIVE: how long after a device drops the connection the service has dialled it again
 *
 * A real-time step counts while the service stays under one core, the simulators keep up, and
 * the service's event-loop p99 stays within EVENT_LOOP_P99_LIMIT_MS (forwarding: and every
 * accepted packet was forwarded).
 *
 * GW_BENCH_PHASES picks phases (flat, realtime, pull, forward, udp, tcp-active; all by default).
 */
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { parseUdpDrops } from '../../libs/gateway/src/udp-drops';
import { readOk } from '../fixtures/rtp/fixtures';
import { api, startService, type ServiceProcess } from '../support/service-process';
import { tempDir } from '../support/temp-dir';
import { stackShare } from './support/perf-samples';
import { writeBenchResult } from './support/report';

const SIM = join(__dirname, '..', '..', 'dist/apps/device-sim/src/main.js');
// Above the kernel's ephemeral range (32768-60999) and every test's port block (6400-29999), so the
// bench can run beside the test suite and no outgoing connection takes a port of the range.
const HTTP_PORT = 64999;
const RANGE = '61000-64989';
const CLK_TCK = 100;
const REALTIME_STEPS = (process.env.GW_BENCH_STEPS ?? '100,250,500,750,1000,1250,1500').split(',').map(Number);
const PULL_STEPS = (process.env.GW_BENCH_PULL_STEPS ?? '100,250,500,750').split(',').map(Number);
const FORWARD_STEPS = (process.env.GW_BENCH_FORWARD_STEPS ?? '100,250,500,750,1000,1250').split(',').map(Number);
const FORWARD_SINK_PORT = 64995; // between RANGE and HTTP_PORT
/**
 * A step counts (real time, forwarding) only while the service's event-loop p99 stays under this:
 * past the machine's capacity the CPU can still read under a core while the loop stalls for
 * seconds (GC storms at 1,250 forwarded streams), and nothing a signalling client asks is answered.
 */
const EVENT_LOOP_P99_LIMIT_MS = 100;
/** After the devices stop: the last batches are written within FORWARD_BATCH_MS (80) plus one 10 ms tick. */
const FORWARD_SETTLE_MS = 250;
const UDP_STEPS = (process.env.GW_BENCH_UDP_STEPS ?? '100,250,500,750,1000,1250,1500').split(',').map(Number);
const RECONNECTS = Number(process.env.GW_BENCH_RECONNECTS ?? 10);
/** node flags for the service, e.g. `--trace-gc` (space-separated) */
const NODE_ARGS = (process.env.GW_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** a file that receives everything the service wrote (with GW_BENCH_NODE_ARGS=--trace-gc: its GC lines) */
const SERVICE_LOG = process.env.GW_BENCH_SERVICE_LOG;
/** back-to-back (without, with forwarding) pairs at the highest forward step for `forward_cpu_share_pct` */
const FORWARD_PAIRS = Number(process.env.GW_BENCH_FORWARD_PAIRS ?? 3);
const PHASES = new Set((process.env.GW_BENCH_PHASES ?? 'flat,realtime,pull,forward,udp,tcp-active').split(','));
/**
 * A directory: each real-time step's measuring window is also recorded with `perf record -g`
 * (cpu-clock) of the service into `<dir>/<phase>.data`, to attribute its CPU within one run
 * (with GW_BENCH_NODE_ARGS=--perf-basic-prof for named JS frames).
 */
const PERF_DIR = process.env.GW_BENCH_PERF_DIR;
/** Another build of the service, measured beside this one at each UDP step (see (e) above). */
const UDP_BASELINE_MAIN = process.env.GW_BENCH_UDP_BASELINE_MAIN;
/** Streams per simulator process in the UDP phase (the simulator sends with sendmmsg; more processes spread it over the cores). */
const UDP_STREAMS_PER_SIM = Number(process.env.GW_BENCH_UDP_STREAMS_PER_SIM ?? 500);
const WINDOW_S = Number(process.env.GW_BENCH_WINDOW_S ?? 8);
const WARMUP_S = 4;

function cpuSeconds(pid: number): number {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/** utime and stime (s): loopback sends run the receiver's TCP path in the sender's system time. */
function cpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / CLK_TCK, system: Number(f[12]) / CLK_TCK };
}

/** Datagrams the kernel dropped on the UDP sockets of the range (the gateway's own reader of /proc/net/udp*). */
function udpKernelDrops(from: number, to: number): number {
  const table = new Map<number, number>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    try {
      parseUdpDrops(readFileSync(file, 'utf8'), table);
    } catch {
      // udp6 is absent where IPv6 is off
    }
  }
  let drops = 0;
  for (const [port, n] of table) if (port >= from && port <= to) drops += n;
  return drops;
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

/**
 * A sample's stack is the forward path's: a frame of libs/gateway/src/forward (with
 * --perf-basic-prof), or a socket write in the kernel (only the forwarder writes to sockets while
 * no HTTP traffic flows; the kernel's unwinding often stops before the JS caller of a write).
 * Loopback delivery to the receiver runs inside tcp_sendmsg, so it is counted too.
 */
const FORWARD_FRAMES = /\/gateway\/src\/forward\/|sock_write_iter|sys_writev|tcp_sendmsg/;

/** `perf record -g` of `pid` for `seconds` (cpu-clock: this VM has no hardware counters); resolves when written. */
function perfRecord(pid: number, out: string, seconds: number): Promise<void> {
  const child = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-g', '-p', String(pid), '-o', out, '--', 'sleep', String(seconds)], {
    stdio: 'ignore',
  });
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** A media server stand-in in its own process: accepts forward connections, reads and discards. */
async function startForwardSink(port: number) {
  const code = `require('net').createServer((s) => { s.on('data', () => {}); s.on('error', () => {}); })
    .listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return {
    pid: child.pid!,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
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

  /** The service's environment, with its ledger and recordings in `data`. */
  const serviceEnv = (data: string) => ({
    HTTP_PORT: String(HTTP_PORT),
    MEDIA_PORT_RANGE: RANGE,
    DATABASE_URL: `sqlite:${join(data, 'ledger.sqlite')}`,
    RECORD_DIR: join(data, 'records'),
    LOG_LEVEL: 'warn',
    LOG_REQUESTS: 'false',
    CONNECT_TIMEOUT_S: '600',
    IDLE_TIMEOUT_S: '600',
    PORTLEDGER_BENCH_EVENTLOOP_FILE: elFile,
  });

  /** Starts the service (this build, or `main`), and takes its RSS before any lease. */
  async function start(data: string, main?: string): Promise<void> {
    svc = await startService(serviceEnv(data), { main, nodeArgs: NODE_ARGS });
    client = api(svc.baseUrl);
    await sleep(1000);
    idleRss = rssKb(svc.child.pid!);
  }

  /** Runs `fn` against another build of the service (its own ledger), this one stopped meanwhile. */
  async function onBuild<T>(main: string, fn: () => Promise<T>): Promise<T> {
    await svc.stop();
    const other = tempDir('portledger-bench-baseline-');
    try {
      await start(other.path, main);
      return await fn();
    } finally {
      await svc.stop();
      other.cleanup();
      await start(dir.path);
    }
  }

  beforeAll(async () => {
    await start(dir.path);
  });
  afterAll(async () => {
    await svc?.stop();
    if (SERVICE_LOG && svc) writeFileSync(SERVICE_LOG, svc.output());
    dir.cleanup();
  });

  const pid = () => svc.child.pid!;
  /** the forward phase's receiver process, while it runs */
  let sinkPid: number | null = null;

  async function makeLeases(n: number, prefix: string, extra: Record<string, unknown> = {}): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        const r = await client.post('/api/v1/leases', { streamId: `${prefix}-${i}`, ...extra });
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
  function simsFor(ids: string[], args: string[], perSim: number): ReturnType<typeof runSim>[] {
    const sims = [];
    for (let i = 0; i < ids.length; i += perSim)
      sims.push(runSim(['--api', svc.baseUrl, '--lease', ids.slice(i, i + perSim).join(','), ...args]));
    return sims;
  }

  async function flatOut(streams: number, loops: number, forward = false): Promise<number> {
    const ids = await makeLeases(
      streams,
      `flat${forward ? 'f' : ''}${streams}`,
      forward ? { forward: `tcp://127.0.0.1:${FORWARD_SINK_PORT}` } : { forward: null },
    );
    const split0 = cpuSplit(pid());
    const sims = simsFor(ids, ['--flat', '--loops', String(loops)], streams);
    const results = await Promise.all(sims.map((s) => s.done));
    await sleep(300);
    const split1 = cpuSplit(pid());
    const user = split1.user - split0.user;
    const system = split1.system - split0.system;
    const cpu = user + system;
    const bytes = results.reduce((n, r) => n + (r.summary?.bytes ?? 0), 0);
    const errors = results.reduce((n, r) => n + (r.summary?.errors ?? 1), 0);
    const seconds = Math.max(...results.map((r) => r.summary?.seconds ?? NaN));
    if (forward) await sleep(FORWARD_SETTLE_MS);
    const fwd = forward ? await forwardTotals(ids) : null;
    await releaseAll(ids);
    const perGB = cpu / (bytes / 1e9);
    rows.push({
      ...(fwd ? { accepted: fwd.accepted, forwarded: fwd.forwarded, dropped: fwd.dropped } : {}),
      phase: `flat${forward ? '+forward' : ''} c${streams}`,
      GB: bytes / 1e9,
      seconds,
      MBps: bytes / 1e6 / seconds,
      cpu_s: cpu,
      cpu_s_per_GB: perGB,
      user_s_per_GB: user / (bytes / 1e9),
      system_s_per_GB: system / (bytes / 1e9),
      errors,
    });
    return perGB;
  }

  /** The service's `portledger_forward_buffered_bytes`, in MB. */
  async function forwardHeldMB(): Promise<number> {
    const text = await (await fetch(`${svc.baseUrl}/metrics`)).text();
    const m = /^portledger_forward_buffered_bytes (\d+(?:\.\d+)?)/m.exec(text);
    return m ? Number(m[1]) / 1e6 : NaN;
  }

  /** Forwarded and dropped packets against accepted ones, summed over the leases (read before their release). */
  async function forwardTotals(ids: string[]): Promise<{ accepted: number; forwarded: number; dropped: number; notUp: number }> {
    const t = { accepted: 0, forwarded: 0, dropped: 0, notUp: 0 };
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const stats = (await client.get(`/api/v1/leases/${ids[i]}`)).body.stats;
        t.accepted += stats.packets;
        t.forwarded += stats.forward.packets;
        t.dropped += stats.forward.dropped;
        if (stats.forward.state !== 'up') t.notUp++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return t;
  }

  async function realtime(
    streams: number,
    pulls: boolean,
    forward = false,
    transport: 'tcp-passive' | 'udp' = 'tcp-passive',
    build = '',
  ): Promise<{
    cpuPct: number;
    simCpuPct: number;
    mbps: number;
    rss: number;
    rssPerKb: number;
    el: { p99: number; max: number };
    ok: boolean;
    forward: Awaited<ReturnType<typeof forwardTotals>> | null;
    drops: number;
    /** the window's `perf record` (GW_BENCH_PERF_DIR) */
    perfFile: string | null;
  }> {
    const udp = transport === 'udp';
    const tag = `${forward ? 'f' : pulls ? 'p' : ''}${udp ? 'u' : ''}`;
    const ids = await makeLeases(streams, `rt${tag}${streams}`, {
      forward: forward ? `tcp://127.0.0.1:${FORWARD_SINK_PORT}` : null,
      ...(udp ? { transport } : {}),
    });
    const [rangeStart, rangeEnd] = RANGE.split('-').map(Number);
    const drops0 = udp ? udpKernelDrops(rangeStart, rangeEnd) : 0;
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
    const sims = simsFor(
      ids,
      [
        '--realtime',
        '--bitrate-mbps',
        '2',
        '--stagger',
        '--loops',
        '0',
        '--duration',
        String(duration),
        ...(udp ? ['--transport', 'udp'] : []),
      ],
      udp ? UDP_STREAMS_PER_SIM : 500,
    );
    await sleep(WARMUP_S * 1000);
    const t0 = Date.now();
    const cpu0 = cpuSeconds(pid());
    const simCpu = () => sims.reduce((n, s) => n + cpuSeconds(s.pid), 0);
    const simCpu0 = simCpu();
    const sinkCpu0 = forward && sinkPid !== null ? cpuSeconds(sinkPid) : 0;
    eventLoopWindowStart();
    const perfFile = PERF_DIR ? join(PERF_DIR, `${tag || 'base'}${streams}-${Date.now()}.data`) : null;
    const perf = perfFile ? perfRecord(pid(), perfFile, WINDOW_S) : null;
    await sleep(WINDOW_S * 1000);
    const cpu = cpuSeconds(pid()) - cpu0;
    const simCpuPct = ((simCpu() - simCpu0) / WINDOW_S) * 100;
    const sinkCpuPct = forward && sinkPid !== null ? ((cpuSeconds(sinkPid) - sinkCpu0) / WINDOW_S) * 100 : NaN;
    const t1 = Date.now();
    // perf's own `sleep` may end a moment after ours: waited for only once the window's readings are taken.
    await perf;
    // What every lease's forward held at the window's end: a receiver that falls behind shows here.
    const heldMB = forward ? await forwardHeldMB() : NaN;
    const rss = rssKb(pid());
    const el = await eventLoopWindowEnd();
    const results = await Promise.all(sims.map((s) => s.done));
    const drops = udp ? udpKernelDrops(rangeStart, rangeEnd) - drops0 : 0;
    const mbps = results.reduce((n, r) => n + (r.summary?.mbps ?? 0), 0);
    const errors = results.reduce((n, r) => n + (r.summary?.errors ?? 1), 0);
    const cpuPct = (cpu / ((t1 - t0) / 1000)) * 100;
    for (const r of reqs) r.destroy();
    // The simulators have stopped: once each lease's last batch is old enough to be written (the
    // shared timer's next run after FORWARD_BATCH_MS), what was accepted has been handed to the
    // forward sockets or dropped.
    if (forward) await sleep(FORWARD_SETTLE_MS);
    const fwd = forward ? await forwardTotals(ids) : null;
    await releaseAll(ids);
    const rssPerKb = (rss - idleRss) / streams;
    // The simulator is paced; it keeps up when it delivered at least 95 % of 2 Mb/s per stream.
    // Over UDP the service keeps up when the kernel dropped at most 1 % of the datagrams (a
    // service starved of CPU reads little, drops much, and would look cheap).
    const packets = results.reduce((n, r) => n + (r.summary?.packets ?? 0), 0);
    const dropPct = udp ? (drops / Math.max(1, packets)) * 100 : 0;
    const ok = errors === 0 && mbps >= 0.95 * 2 * streams && dropPct <= 1;
    rows.push({
      phase: `realtime${udp ? ' udp' : ''}${pulls ? '+pull' : ''}${forward ? '+forward' : ''}${build} ${streams}`,
      offeredMbps: 2 * streams,
      mbps,
      cpuPct,
      cpuPctPerStream: cpuPct / streams,
      simCpuPct,
      rssKb: rss,
      rssPerSessionKb: rssPerKb,
      elP99: el.p99,
      elMax: el.max,
      errors,
      pulls: responses.length,
      ...(fwd ? { accepted: fwd.accepted, forwarded: fwd.forwarded, dropped: fwd.dropped, notUp: fwd.notUp, sinkCpuPct, heldMB } : {}),
      ...(udp ? { kernelDrops: drops, kernelDropPct: dropPct } : {}),
    });
    return { cpuPct, simCpuPct, mbps, rss, rssPerKb, el, ok, forward: fwd, drops, perfFile };
  }

  /**
   * TCP-ACTIVE: a device (this process) listens; the service dials it, gets a few packets,
   * then the device drops the connection. Reconnect time = the drop to the next dial accepted.
   */
  async function tcpActiveReconnects(times: number): Promise<number[]> {
    const capture = readOk('zlm-tcp-ps-rtp.bin');
    const accepted: Array<(s: Socket) => void> = [];
    const server = createServer({ noDelay: true }, (socket) => {
      socket.on('error', () => undefined);
      const take = accepted.shift();
      if (take) take(socket);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const nextDial = () => new Promise<Socket>((resolve) => accepted.push(resolve));
    const [id] = await makeLeases(1, 'active-reconnect', { transport: 'tcp-active', idleTimeoutSeconds: 600 });
    const ms: number[] = [];
    try {
      let conn = nextDial();
      const r = await client.post(`/api/v1/leases/${id}/connect`, { address: '127.0.0.1', port });
      if (r.status >= 300) throw new Error(`connect: ${r.status} ${JSON.stringify(r.body)}`);
      for (let i = 0; i <= times; i++) {
        const socket = await conn;
        socket.write(capture.subarray(0, 64 * 1024));
        await sleep(300);
        conn = nextDial();
        const dropped = performance.now();
        socket.destroy();
        await conn;
        if (i > 0) ms.push(performance.now() - dropped); // the first one warms up
      }
    } finally {
      await releaseAll([id]);
      server.close();
    }
    return ms;
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

  async function forwardPhase(baselineCpu: Map<number, number>): Promise<void> {
    const sink = await startForwardSink(FORWARD_SINK_PORT);
    sinkPid = sink.pid;
    try {
      // Flat out, throughput-bound and so less sensitive to a busy machine than the paced phase:
      // CPU per GB with every lease forwarding, against (a) of this run.
      const flatForward = await flatOut(50, 10, true);
      metrics.forward_cpu_s_per_GB_flat_out_c50 = flatForward;
      metrics.forward_cpu_share_pct_flat_out_c50 = ((flatForward - metrics.cpu_s_per_GB_flat_out_c50) / flatForward) * 100;
      let forwardN = 0;
      for (const n of FORWARD_STEPS) {
        const r = await realtime(n, false, true);
        // The step is one where every accepted packet is forwarded (a drop is one that is not), under a core.
        if (r.cpuPct >= 100 || !r.ok || !(r.el.p99 <= EVENT_LOOP_P99_LIMIT_MS) || r.forward!.accepted !== r.forward!.forwarded) break;
        forwardN = n;
        metrics.forward_cpu_pct_at_max = r.cpuPct;
        metrics.forward_dropped_at_max = r.forward!.dropped;
        metrics.forward_not_forwarded_at_max = r.forward!.accepted - r.forward!.forwarded;
        const base = baselineCpu.get(n);
        if (base !== undefined) {
          metrics.forward_baseline_cpu_pct_at_max = base;
          metrics.forward_cpu_share_pct = ((r.cpuPct - base) / r.cpuPct) * 100;
        }
      }
      metrics.forward_realtime_2mbps_streams_under_one_core = forwardN;
      // The share compares two runs of the same step; a 2-core machine's noise between runs minutes
      // apart (the baseline comes from phase (b)) is of the size of the share itself. So measure it
      // again in back-to-back pairs (without, then with forwarding) and report the median pair.
      if (forwardN > 0 && FORWARD_PAIRS > 0) {
        const shares: number[] = [];
        const perfShares: number[] = [];
        for (let i = 0; i < FORWARD_PAIRS; i++) {
          const base = await realtime(forwardN, false);
          const fwd = await realtime(forwardN, false, true);
          if (!base.ok || !fwd.ok) continue;
          shares.push(((fwd.cpuPct - base.cpuPct) / fwd.cpuPct) * 100);
          // Within the run: samples under the forwarder's code (its JS frames, the writev system calls
          // it alone makes while no HTTP traffic flows). GC the forward's garbage causes is not in it.
          if (fwd.perfFile) perfShares.push(stackShare(fwd.perfFile, FORWARD_FRAMES).pct);
        }
        if (perfShares.length > 0) {
          perfShares.sort((a, b) => a - b);
          metrics.forward_cpu_share_pct_perf_samples = perfShares[Math.floor((perfShares.length - 1) / 2)];
        }
        if (shares.length > 0) {
          shares.sort((a, b) => a - b);
          metrics.forward_cpu_share_pct_single_run = metrics.forward_cpu_share_pct;
          metrics.forward_cpu_share_pct = shares[Math.floor((shares.length - 1) / 2)];
          metrics.forward_cpu_share_pct_pairs = shares.length;
          metrics.forward_cpu_share_pct_min = shares[0];
          metrics.forward_cpu_share_pct_max = shares[shares.length - 1];
        }
      }
    } finally {
      sinkPid = null;
      await sink.stop();
    }
  }

  /**
   * (e) UDP at each step; with a baseline build, that build first at the same step (each stops
   * at its own first step over one core or where the simulator did not keep up).
   */
  async function udpPhase(): Promise<void> {
    let udpN = 0;
    let baseN = 0;
    let baseDone = UDP_BASELINE_MAIN === undefined;
    let done = false;
    for (const n of UDP_STEPS) {
      if (!baseDone) {
        const b = await onBuild(UDP_BASELINE_MAIN!, () => realtime(n, false, false, 'udp', ' (baseline build)'));
        metrics[`udp_baseline_cpu_pct_per_stream_at_${n}`] = b.cpuPct / n;
        if (b.cpuPct >= 100 || !b.ok) baseDone = true;
        else baseN = n;
      }
      if (!done) {
        const r = await realtime(n, false, false, 'udp');
        metrics[`udp_cpu_pct_per_stream_at_${n}`] = r.cpuPct / n;
        metrics[`udp_sim_cpu_pct_at_${n}`] = r.simCpuPct;
        if (r.cpuPct >= 100 || !r.ok) {
          done = true;
        } else {
          udpN = n;
          metrics.udp_realtime_cpu_pct_at_max = r.cpuPct;
          metrics.udp_kernel_drops_at_max = r.drops;
          metrics.rss_kb_per_udp_session = r.rssPerKb;
          metrics.udp_eventloop_p99_ms_at_max = r.el.p99;
        }
      }
      if (done && baseDone) break;
    }
    metrics.udp_realtime_2mbps_streams_under_one_core = udpN;
    if (UDP_BASELINE_MAIN !== undefined) metrics.udp_baseline_realtime_2mbps_streams_under_one_core = baseN;
  }

  it('measures flat-out ingest, real-time capacity under one core, and the same with live pulls', async () => {
    if (PHASES.has('pull')) await pulls750();
    if (PHASES.has('flat')) {
      metrics.cpu_s_per_GB_flat_out_c50 = await flatOut(50, 10);
      metrics.cpu_s_per_GB_flat_out_c200 = await flatOut(200, 3);
    }

    /** the same run's CPU without forwarding, per stream count: the forward phase's baseline */
    const baselineCpu = new Map<number, number>();
    if (PHASES.has('realtime')) {
      let best: Awaited<ReturnType<typeof realtime>> | null = null;
      let first: Awaited<ReturnType<typeof realtime>> | null = null;
      let bestN = 0;
      for (const n of REALTIME_STEPS) {
        const r = await realtime(n, false);
        baselineCpu.set(n, r.cpuPct);
        if (r.cpuPct >= 100 || !r.ok || !(r.el.p99 <= EVENT_LOOP_P99_LIMIT_MS)) break;
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
    }

    if (PHASES.has('pull')) {
      let pullN = 0;
      for (const n of PULL_STEPS) {
        const r = await realtime(n, true);
        if (r.cpuPct >= 100 || !r.ok) break;
        pullN = n;
        metrics.realtime_with_pull_cpu_pct_at_max = r.cpuPct;
        metrics.realtime_with_pull_eventloop_p99_ms_at_max = r.el.p99;
      }
      metrics.realtime_with_pull_streams_under_one_core = pullN;
    }

    // (d) forwarding: the largest step that stays under one core with the simulator keeping up,
    // every lease forwarding and nothing dropped. The forward path's share of the service CPU
    // is the extra CPU over the same run's baseline at that stream count.
    if (PHASES.has('forward')) await forwardPhase(baselineCpu);

    // (e) UDP: the same paced load over datagrams, with the kernel's drop counters.
    if (PHASES.has('udp')) await udpPhase();

    // (f) TCP-ACTIVE: from a device's drop to the service's next dial.
    if (PHASES.has('tcp-active')) {
      const reconnects = (await tcpActiveReconnects(RECONNECTS)).sort((a, b) => a - b);
      metrics.tcp_active_reconnect_ms = reconnects[Math.floor(reconnects.length / 2)];
      metrics.tcp_active_reconnect_ms_max = reconnects[reconnects.length - 1];
      rows.push({
        phase: `tcp-active reconnect x${reconnects.length}`,
        medianMs: metrics.tcp_active_reconnect_ms,
        maxMs: metrics.tcp_active_reconnect_ms_max,
      });
    }

    console.table(rows);
    writeBenchResult('gateway', metrics);
  });
});
