#!/usr/bin/env node
// `npm run fuzz -- --cases 100000 [--seed N] [target...]`: the fuzz tests of test/fuzz with
// N cases per target (npm test runs them with 3000). Targets: deframer, rtp-parser, ps-probe,
// rest-validation, route-spelling (the last two spawn the built service: run `npm run build` first).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a, positionals } = parseArgs({
  options: { cases: { type: 'string', default: '100000' }, seed: { type: 'string' }, build: { type: 'boolean', default: false } },
  allowPositionals: true,
  strict: true,
});
const dir = import.meta.dirname;
const files = (
  positionals.length ? positionals : ['deframer', 'rtp-parser', 'ps-probe', 'rest-validation', 'route-spelling', 'cursor-time']
).map((t) => {
  const f = join(dir, `${t}.test.ts`);
  if (!existsSync(f)) {
    console.error(`fuzz: unknown target "${t}"`);
    process.exit(2);
  }
  return `test/fuzz/${t}.test.ts`;
});
if (a.build && spawnSync('npm', ['run', 'build'], { stdio: 'inherit' }).status !== 0) process.exit(1);
const env = { ...process.env, FUZZ_CASES: a.cases, ...(a.seed ? { FUZZ_SEED: a.seed } : {}) };
const r = spawnSync('npx', ['vitest', 'run', '--disableConsoleIntercept', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
