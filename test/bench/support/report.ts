import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface MachineFacts {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  platform: string;
}

export function machineFacts(): MachineFacts {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Prints the metrics as a table and writes test/bench/results/<name>.json. */
export function writeBenchResult(name: string, metrics: Record<string, number>): string {
  const rows = Object.entries(metrics).map(([k, v]) => ({ metric: k, value: round(v) }));
  console.log(`\n== bench ${name} ==`);
  console.table(rows);
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, machine: machineFacts(), metrics }, null, 2) + '\n');
  return file;
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

/** Percentile of an unsorted sample (nearest-rank). */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) return NaN;
  const s = [...sample].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}
