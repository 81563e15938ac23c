import swc from 'unplugin-swc';
import { resolve } from 'node:path';

// SWC (not esbuild) so decorator metadata is emitted: Nest's DI and class-validator need it.
const root = import.meta.dirname;
export const shared = {
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: {
      '@app/leasing': resolve(root, 'libs/leasing/src'),
      '@app/ledger': resolve(root, 'libs/ledger/src'),
      '@app/gateway': resolve(root, 'libs/gateway/src'),
      '@app/reconciler': resolve(root, 'libs/reconciler/src'),
      '@app/rtp': resolve(root, 'libs/rtp/src'),
      '@app/udp-batch': resolve(root, 'libs/udp-batch/src'),
      '@migrations': resolve(root, 'migrations'),
    },
  },
};
