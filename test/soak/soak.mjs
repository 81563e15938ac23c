#!/usr/bin/env node
// `npm run soak -- --duration 10m --range 30000-30999 --workers 64 [--db sqlite|postgres] [--seed N]`
// Builds the service, then runs test/soak/soak.cli.ts through vitest (SWC transform, aliases).
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const USAGE = `npm run soak -- [options]
  --duration D       how long to churn: 90s, 10m, 1h (default 10m)
  --range A-B        MEDIA_PORT_RANGE for the soak (default 30000-30999; nothing else may use it)
  --workers N        concurrent simulated clients/devices (default 64)
  --db KIND          sqlite (default) or postgres (a per-run schema behind a cuttable proxy)
  --seed N           PRNG seed of behaviours and faults (default: time-based, printed)
  --http-port P      the service's HTTP port (default 31000; webhook receiver P+1, database proxy P+2)
  --kill-every A-B   seconds between kill -9 (default 25-70; "off" disables)
  --foreign-every A-B  seconds between foreign port grabs (default 3-10; "off")
  --flap-every A-B   seconds between webhook receiver flaps (default 2-8; "off")
  --cut-every A-B    seconds between database cuts, postgres only (default 20-60; "off")
  --timeouts S       connect and idle timeout of the leases (default 2)
  --reconcile S      RECONCILE_INTERVAL_S (default 3)
  --quick-weight W   weight of plain allocate+release cycles in the mix (default 24; others 8-12)
  --log-level L      the service's LOG_LEVEL (default warn)
  --log-dir DIR      where the service log, timeline and result go (default a temp dir)
  --no-results       do not write test/bench/results/soak*.json
  --no-build         skip npm run build`;

const { values: a } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    range: { type: 'string', default: '30000-30999' },
    workers: { type: 'string', default: '64' },
    db: { type: 'string', default: 'sqlite' },
    seed: { type: 'string' },
    'http-port': { type: 'string', default: '31000' },
    'kill-every': { type: 'string' },
    'foreign-every': { type: 'string' },
    'flap-every': { type: 'string' },
    'cut-every': { type: 'string' },
    timeouts: { type: 'string' },
    reconcile: { type: 'string' },
    'quick-weight': { type: 'string' },
    'log-level': { type: 'string' },
    'log-dir': { type: 'string' },
    'no-results': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}
const fail = (m) => {
  console.error(`soak: ${m}\n\n${USAGE}`);
  process.exit(2);
};
const seconds = (t) => {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(t);
  if (!m) fail(`bad duration "${t}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] ?? 's'];
};
const span = (t, name) => {
  if (t === undefined) return undefined;
  if (t === 'off') return null;
  const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(t);
  if (!m || Number(m[1]) > Number(m[2])) fail(`bad ${name} "${t}" (want MIN-MAX seconds or off)`);
  return [Number(m[1]), Number(m[2])];
};
const rm = /^(\d+)-(\d+)$/.exec(a.range);
if (!rm || Number(rm[1]) >= Number(rm[2]) || Number(rm[2]) > 65535) fail(`bad range "${a.range}"`);
if (!['sqlite', 'postgres'].includes(a.db)) fail(`--db must be sqlite or postgres`);
const httpPort = Number(a['http-port']);
const opts = {
  db: a.db,
  durationS: seconds(a.duration),
  range: { start: Number(rm[1]), end: Number(rm[2]) },
  workers: Number(a.workers),
  seed: a.seed !== undefined ? Number(a.seed) : Date.now() % 1_000_000,
  httpPort,
  webhookPort: httpPort + 1,
  pgProxyPort: httpPort + 2,
  results: !a['no-results'],
};
if (httpPort >= opts.range.start && httpPort + 2 <= opts.range.end) fail('--http-port lies inside --range');
const set = (k, v) => v !== undefined && (opts[k] = v);
set('killEveryS', span(a['kill-every'], '--kill-every'));
set('foreignEveryS', span(a['foreign-every'], '--foreign-every'));
set('webhookFlapEveryS', span(a['flap-every'], '--flap-every'));
set('dbCutEveryS', span(a['cut-every'], '--cut-every'));
if (a.timeouts) opts.connectTimeoutS = opts.idleTimeoutS = Number(a.timeouts);
if (a.reconcile) opts.reconcileIntervalS = Number(a.reconcile);
if (a['log-level']) opts.logLevel = a['log-level'];
if (a['log-dir']) opts.logDir = a['log-dir'];
if (a['quick-weight'])
  opts.mix = {
    ...{
      'never-connects': 8,
      'stream-then-delete': 12,
      'stream-then-silent': 8,
      garbage: 8,
      'abrupt-reconnect': 8,
      'connect-twice': 8,
      'delete-twice': 8,
      'short-ttl': 8,
      renew: 8,
    },
    'quick-cycle': Number(a['quick-weight']),
  };

if (!a['no-build']) {
  const b = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync('npx', ['vitest', 'run', '--config', 'test/soak/vitest.soak.config.mts'], {
  stdio: 'inherit',
  env: { ...process.env, SOAK_OPTIONS: JSON.stringify(opts) },
});
process.exit(r.status ?? 1);
