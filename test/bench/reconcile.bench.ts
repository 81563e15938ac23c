import { ProcNetTcpScanner } from '@app/reconciler';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'vitest';
import { startReconciler } from '../support/reconciler-harness';
import { HISTORY_LEASES, seedBenchHistory } from './support/history';
import { percentile, writeBenchResult } from './support/report';

// The whole pass runs on real ledger rows and real listeners: 5,000 leases = 10,000 sockets.
// They bind 127.0.0.9, a loopback address no test uses: two different specific addresses never
// conflict, so the 10,000 ports (18000-27999, which spans other test files' blocks on
// 127.0.0.1) stay free for everybody else while the bench runs.
const BIND_HOST = '127.0.0.9';
const RANGE = { start: 18_000, end: 27_999 };
const LEASES = 5_000;
const PASSES = 15;
const UNRELATED = 20_000;
/** RECONCILE_BENCH_TRACE_GC=1: V8's --trace-gc-nvp over the measured passes (what each scavenge copied and promoted). */
const TRACE_GC = process.env.RECONCILE_BENCH_TRACE_GC === '1';
/**
 * RECONCILE_BENCH_HEAP_PROFILE=<file>: after the measured passes, five more under V8's sampling
 * heap profiler (every allocation site, collected or not); the file gets the sites by bytes.
 */
const HEAP_PROFILE = process.env.RECONCILE_BENCH_HEAP_PROFILE;
/** RECONCILE_BENCH_CPU_PROFILE=<file>: the measured passes under V8's CPU profiler; the file gets the longest busy stretches. */
const CPU_PROFILE = process.env.RECONCILE_BENCH_CPU_PROFILE;
const HEAP_PROFILE_LIVE = process.env.RECONCILE_BENCH_HEAP_PROFILE_LIVE === '1';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Allocation sites of passes run under the sampling heap profiler, largest first, one line each. */
async function profilePasses(run: () => Promise<unknown>, passes: number): Promise<string> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      // RECONCILE_BENCH_HEAP_PROFILE_LIVE=1: only what survived young-generation GCs (what the scavenges copied and promoted)
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: !HEAP_PROFILE_LIVE,
    });
    for (let i = 0; i < passes; i++) await run();
    // The young generation still holds the last passes' garbage: a scavenge now leaves only
    // what survived one (copied or promoted), which is what the live profile is for.
    if (HEAP_PROFILE_LIVE) v8Gc()({ type: 'minor' });
    const { profile } = (await session.post('HeapProfiler.getSamplingProfile')) as { profile: { head: SamplingNode } };
    await session.post('HeapProfiler.stopSampling');
    const bySite = new Map<string, number>();
    const walk = (n: SamplingNode, path: string[]) => {
      const here = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(libs|node_modules|test)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
      const stack = [...path, here].slice(-4);
      if (n.selfSize > 0) bySite.set(stack.join(' < '), (bySite.get(stack.join(' < ')) ?? 0) + n.selfSize);
      for (const c of n.children) walk(c, stack);
    };
    walk(profile.head, []);
    const total = [...bySite.values()].reduce((a, b) => a + b, 0);
    return [
      `${(total / passes / 1e6).toFixed(2)} MB allocated per pass (sampled)`,
      ...[...bySite]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 40)
        .map(([site, bytes]) => `${(bytes / passes / 1e3).toFixed(0).padStart(6)} kB/pass  ${site}`),
    ].join('\n');
  } finally {
    session.disconnect();
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The longest stretches of the event loop busy without a break (consecutive samples not idle),
 * each with the frames that had most of its samples: where a stall comes from when it is not GC.
 */
function longestBusyStretches(p: CpuProfile, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(libs|node_modules|test)\//, '$1/')}:${f.lineNumber + 1}`;
  };
  const stack = (id: number) => {
    const out: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) out.push(label(at));
    return out;
  };
  const idle = (id: number) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName);
  const stretches: { ms: number; from: number; to: number }[] = [];
  let start = -1;
  let ms = 0;
  for (let i = 0; i <= p.samples.length; i++) {
    const busy = i < p.samples.length && !idle(p.samples[i]);
    if (busy) {
      if (start === -1) {
        start = i;
        ms = 0;
      }
      ms += (p.timeDeltas[i + 1] ?? 0) / 1000;
    } else if (start !== -1) {
      stretches.push({ ms, from: start, to: i });
      start = -1;
    }
  }
  stretches.sort((a, b) => b.ms - a.ms);
  return stretches
    .slice(0, top)
    .map(({ ms, from, to }) => {
      const frames = new Map<string, number>();
      for (let i = from; i < to; i++) for (const f of new Set(stack(p.samples[i]))) frames.set(f, (frames.get(f) ?? 0) + 1);
      const n = to - from;
      const lines = [...frames]
        .filter(([f]) => !f.startsWith('(root)'))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 14)
        .map(([f, c]) => `    ${((100 * c) / n).toFixed(0).padStart(3)} %  ${f}`);
      return [`${ms.toFixed(1)} ms busy (${n} samples)`, ...lines].join('\n');
    })
    .join('\n');
}

/** V8's gc() (a full collection; `{ type: 'minor' }`: a scavenge), made available for the bench. */
function v8Gc(): (options?: { type: 'minor' | 'major' }) => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
}

/** A /proc/net/tcp text like the kernel's: `ours` listeners in the range, then `unrelated` sockets outside it. */
function syntheticTcp(ours: number, unrelated: number): string {
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  const lines = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'];
  let sl = 0;
  const line = (addr: string, port: number, rem: string, remPort: number, st: string, inode: number) =>
    `${String(sl++).padStart(4)}: ${addr}:${hex(port, 4)} ${rem}:${hex(remPort, 4)} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;
  for (let i = 0; i < ours; i++) lines.push(line('0900007F', RANGE.start + i, '00000000', 0, '0A', 100_000 + i));
  for (let i = 0; i < unrelated; i++)
    lines.push(line('0100007F', 40_000 + (i % 20_000), '0100007F', 1_024 + (i % 7_000), '01', 200_000 + i));
  return lines.join('\n') + '\n';
}

test('reconcile: parse 20,000 unrelated sockets, one pass over 5,000 leases, event-loop stall', async () => {
  const metrics: Record<string, number> = {};

  // 1) The parser alone, fed in the kernel's ~4 KiB reads, over 20,000 unrelated + 10,000 of ours.
  const text = syntheticTcp(LEASES * 2, UNRELATED);
  const parse = () => {
    const s = new ProcNetTcpScanner(4, RANGE);
    let longestChunk = 0;
    for (let i = 0; i < text.length; i += 4096) {
      const t0 = performance.now();
      s.push(text.slice(i, i + 4096));
      longestChunk = Math.max(longestChunk, performance.now() - t0);
    }
    return { found: s.end().sockets.length, longestChunk };
  };
  for (let i = 0; i < 5; i++) parse(); // warm-up
  const parseMs: number[] = [];
  let longestChunk = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const r = parse();
    parseMs.push(performance.now() - t0);
    longestChunk = Math.max(longestChunk, r.longestChunk);
    if (r.found !== LEASES * 2) throw new Error(`parser found ${r.found}`);
  }
  // and with only the unrelated ones (what a host with no leases pays)
  const onlyUnrelated = syntheticTcp(0, UNRELATED);
  const t1 = performance.now();
  for (let i = 0; i < 20; i++) {
    const s = new ProcNetTcpScanner(4, RANGE);
    s.push(onlyUnrelated);
    s.end();
  }
  metrics.parse_ms_20000_sockets = (performance.now() - t1) / 20;
  metrics.parse_ms_30000_lines_10000_in_range = percentile(parseMs, 50);
  metrics.parse_longest_4k_chunk_ms = longestChunk;

  // 2) Whole passes on SQLite: 5,000 active leases, 10,000 real listeners.
  const h = await startReconciler('sqlite', { range: RANGE, ledger: { bindHost: BIND_HOST }, reconciler: { minAgeMs: 10_000 } });
  try {
    metrics.history_leases = HISTORY_LEASES;
    await seedBenchHistory(h.app);
    const t0 = performance.now();
    for (let i = 0; i < LEASES; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, LEASES - i) }, (_, j) => h.allocate.allocate({ streamId: `bench-${i + j}` })));
    }
    metrics.setup_allocate_5000_s = (performance.now() - t0) / 1000;
    await h.reconciler.reconcileOnce(); // warm-up (and the ownership cache)
    // The 5,000 allocations above leave megabytes of young garbage and survivors; without a
    // full collection here, the first scavenge of the window copied and promoted them (3.9 MB,
    // 11-19 ms) and the window's longest stall was the setup's, not a pass's.
    // The collection leaves the heap cold (the next pass's first stretches ran 10-15 ms): one
    // more pass before the window, as in a service that has been reconciling for a while.
    v8Gc()();
    await h.reconciler.reconcileOnce();

    const delay = monitorEventLoopDelay({ resolution: 1 });
    let drift = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      drift = Math.max(drift, now - last - 1);
      last = now;
    }, 1);
    // GC pauses during the passes: the pass's allocations and survivors show up here first.
    const gcPauses: number[] = [];
    // perf_hooks' gc kinds: 1 minor (scavenge), 4 major (mark-compact), 8 incremental marking, 16 weak callbacks
    let gcMaxPauseKind = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration > Math.max(0, ...gcPauses)) gcMaxPauseKind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
        gcPauses.push(e.duration);
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    delay.enable();
    if (TRACE_GC) setFlagsFromString('--trace-gc-nvp');
    const profiler = CPU_PROFILE ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
      await profiler.post('Profiler.start');
    }
    const passMs: number[] = [];
    const windowStart = performance.now();
    let findings = 0;
    for (let i = 0; i < PASSES; i++) {
      const t = performance.now();
      const report = await h.reconciler.reconcileOnce();
      passMs.push(performance.now() - t);
      findings += report.findings.length;
      await new Promise((r) => setTimeout(r, 20));
    }
    const windowMs = performance.now() - windowStart;
    delay.disable();
    if (TRACE_GC) setFlagsFromString('--no-trace-gc-nvp');
    if (profiler && CPU_PROFILE) {
      const { profile } = (await profiler.post('Profiler.stop')) as { profile: CpuProfile };
      profiler.disconnect();
      writeFileSync(CPU_PROFILE, longestBusyStretches(profile, 6));
    }
    clearInterval(probe);
    // The observer is called asynchronously: let the last entries arrive.
    await new Promise((r) => setTimeout(r, 10));
    gcObserver.disconnect();
    if (findings !== 0) throw new Error(`a clean ledger produced ${findings} findings`);
    metrics.pass_ms_5000_leases = percentile(passMs, 50);
    metrics.pass_ms_5000_leases_p95 = percentile(passMs, 95);
    metrics.max_stall_ms = delay.max / 1e6;
    metrics.max_stall_interval_probe_ms = drift;
    // The same probe over a window as long with no pass running: what this machine's event loop
    // shows on its own (timer slack, the VM's scheduling), the floor under max_stall_ms.
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((r) => setTimeout(r, windowMs));
    idle.disable();
    metrics.idle_max_stall_ms = idle.max / 1e6;
    metrics.gc_pauses_per_pass = gcPauses.length / PASSES;
    metrics.gc_ms_per_pass = gcPauses.reduce((a, b) => a + b, 0) / PASSES;
    metrics.gc_max_pause_ms = Math.max(0, ...gcPauses);
    metrics.gc_max_pause_kind = gcMaxPauseKind;
    metrics.leases = LEASES;
    metrics.sockets_in_range = LEASES * 2;
    if (HEAP_PROFILE) writeFileSync(HEAP_PROFILE, await profilePasses(() => h.reconciler.reconcileOnce(), 5));
  } finally {
    await h.destroy();
  }
  writeBenchResult('reconcile', metrics);
});
