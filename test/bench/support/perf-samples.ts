import { spawnSync } from 'node:child_process';

/**
 * Of the samples in a `perf record -g` file, the fraction (%) whose call stack has a frame that
 * `matches` (JS frames are named with `--perf-basic-prof`). A share measured within one run:
 * on a shared 2-core VM two runs minutes apart differ by as much as the share itself.
 */
export function stackShare(perfFile: string, matches: RegExp): { pct: number; samples: number } {
  const r = spawnSync('perf', ['script', '-F', 'ip,sym', '-i', perfFile], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`perf script ${perfFile}: ${r.stderr || r.error}`);
  let samples = 0;
  let hit = 0;
  // One sample per block of frames; blocks are separated by an empty line.
  for (const block of r.stdout.split('\n\n')) {
    if (block.trim() === '') continue;
    samples++;
    if (matches.test(block)) hit++;
  }
  return { pct: samples === 0 ? NaN : (100 * hit) / samples, samples };
}
