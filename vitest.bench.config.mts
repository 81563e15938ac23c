import { defineConfig } from 'vitest/config';
import { shared } from './vitest.shared.mts';

// Benchmarks run as ordinary vitest files (same SWC transform and aliases as the tests),
// one file at a time so they do not compete for the two cores. They print a table and write
// test/bench/results/<name>.json; they never assert a time.
export default defineConfig({
  ...shared,
  test: {
    include: ['test/bench/**/*.bench.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
    disableConsoleIntercept: true,
  },
});
