import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { shared } from '../../vitest.shared.mts';

// The long soak (`npm run soak`): one file, run through vitest only for its SWC transform
// and path aliases. Options come from test/soak/soak.mjs in SOAK_OPTIONS.
export default defineConfig({
  ...shared,
  root: resolve(import.meta.dirname, '..', '..'),
  test: {
    include: ['test/soak/soak.cli.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 24 * 3600_000,
    hookTimeout: 5 * 60_000,
    disableConsoleIntercept: true,
  },
});
