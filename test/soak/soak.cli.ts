import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { machineFacts } from '../bench/support/report';
import { defaultOptions, runSoak, type SoakOptions } from './soak-runner';

// Run by `npm run soak` (test/soak/soak.mjs), not by `npm test`: the options arrive as JSON.
test('soak', async () => {
  const given = JSON.parse(process.env.SOAK_OPTIONS ?? '{}') as Partial<SoakOptions> & { results?: boolean };
  const { results = true, ...over } = given;
  const o = defaultOptions(over);
  console.log(
    `soak: ${o.db}, ${o.durationS} s, range ${o.range.start}-${o.range.end}, ${o.workers} workers, seed ${o.seed}; logs in ${o.logDir ?? '(temp dir)'}`,
  );
  const r = await runSoak(o);

  console.log(`\n== soak ${o.db} ==`);
  console.table(
    Object.entries(r.metrics).map(([metric, v]) => ({ metric, value: Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000 })),
  );
  if (Object.keys(r.anomalies).length) {
    console.log('anomalies (contract outcomes that differed, not invariant violations):');
    console.table(Object.entries(r.anomalies).map(([kind, n]) => ({ kind, n })));
  }
  for (const v of r.violations) console.log(`VIOLATION at ${(v.at / 1000).toFixed(1)} s ${v.kind}: ${v.detail}`);
  console.log(`service log, timeline and full result: ${r.logDir}`);

  if (results) {
    const dir = join(__dirname, '..', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const doc = {
      name: 'soak',
      machine: machineFacts(),
      metrics: r.metrics,
      run: { db: o.db, options: r.options, anomalies: r.anomalies, violations: r.violations },
    };
    writeFileSync(join(dir, 'soak.json'), JSON.stringify(doc, null, 2) + '\n');
    writeFileSync(join(dir, `soak-${o.db}.json`), JSON.stringify({ ...doc, name: `soak-${o.db}` }, null, 2) + '\n');
  }
  expect(r.violations).toEqual([]);
});
