#!/usr/bin/env node
// Builds the udp-batch addon (`npm run build:native`, part of `npm run build`): configures once
// per Node ABI (node-gyp configure, recorded in build/node-abi), then `node-gyp build`, which
// make keeps incremental. node-gyp is the one npm puts on every script's PATH (npm's own);
// headers come from npm's `nodedir` setting or node-gyp's usual place.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const stamp = join(dir, 'build', 'node-abi');
const abi = `${process.versions.modules} ${process.execPath}`;

function gyp(...args) {
  const r = spawnSync('node-gyp', args, { cwd: dir, stdio: 'inherit' });
  if (r.error) {
    console.error(`udp-batch: cannot run node-gyp (${r.error.message}); run this through npm (npm run build:native), which provides it`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`udp-batch: node-gyp ${args.join(' ')} failed (exit ${r.status}); the addon needs python3, make and g++`);
    process.exit(r.status ?? 1);
  }
}

const configured = existsSync(join(dir, 'build', 'Makefile')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === abi;
if (!configured) {
  gyp('configure');
  writeFileSync(stamp, abi);
}
gyp('build');
