import swc from 'unplugin-swc';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// SWC (not esbuild) so decorator metadata is emitted: Nest's DI and class-validator need it.
const alias = {
  '@app/ledger': resolve(__dirname, 'libs/ledger/src'),
  '@app/gateway': resolve(__dirname, 'libs/gateway/src'),
  '@app/reconciler': resolve(__dirname, 'libs/reconciler/src'),
  '@app/rtp': resolve(__dirname, 'libs/rtp/src'),
  '@migrations': resolve(__dirname, 'migrations'),
};

export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'test/bench/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
