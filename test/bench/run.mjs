#!/usr/bin/env node
// `npm run bench` runs every benchmark; `npm run bench -- <name>` runs test/bench/<name>.bench.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '.');
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));
for (const name of names) {
  if (!existsSync(join(dir, `${name}.bench.ts`))) {
    console.error(`unknown benchmark "${name}"; known: ${all.join(', ')}`);
    process.exit(2);
  }
}
const files = (names.length ? names : all).map((n) => `test/bench/${n}.bench.ts`);
const r = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.bench.config.mts', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
