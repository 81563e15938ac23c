import { expect } from 'vitest';
import { portBlock } from '../support/port-blocks';
import { defaultOptions, runSoak, type SoakResult } from './soak-runner';

/** Seconds of churn per database in CI (the issue: a 2-minute version). */
export const CI_SECONDS = Number(process.env.SOAK_CI_SECONDS ?? 120);

/**
 * The CI soak on one database: a 100-pair range and the HTTP/webhook/proxy ports from the
 * file's own port block, short timeouts, every fault at a faster pace. Fails on any violation.
 */
export async function ciSoak(db: 'sqlite' | 'postgres', block: number): Promise<SoakResult> {
  const b = portBlock(block);
  const range = b.range(100);
  const [start, end] = range.split('-').map(Number);
  const seed = Number(process.env.SOAK_SEED ?? 20_251_125 + block);
  const r = await runSoak(
    defaultOptions({
      db,
      durationS: CI_SECONDS,
      range: { start, end },
      httpPort: b.http(0),
      webhookPort: b.http(1),
      pgProxyPort: b.http(2),
      workers: 12,
      seed,
      reconcileIntervalS: 2,
      killEveryS: [CI_SECONDS / 5, CI_SECONDS / 3],
      foreignEveryS: [3, 8],
      foreignHoldS: [2, 8],
      webhookFlapEveryS: [2, 6],
      dbCutEveryS: [CI_SECONDS / 6, CI_SECONDS / 4],
      progressEveryS: 30,
      log: (line) => process.stdout.write(line + '\n'),
    }),
  );
  const m = r.metrics;
  process.stdout.write(
    `soak ${db} (seed ${seed}): ${m.leases_churned} leases, ${m.kills} kills, ${m.db_cuts} db cuts, ${m.foreign_grabs} foreign grabs, ${m.webhook_flaps} webhook flaps, ` +
      `${m.checks} checks, ${m.violations} violations, ${m.leaked_listeners} leaked listeners; logs ${r.logDir}\n`,
  );
  // The run must really have churned and injected faults, or a clean result proves nothing.
  expect(m.leases_churned).toBeGreaterThan(100);
  expect(m.kills).toBeGreaterThanOrEqual(1);
  expect(m.foreign_grabs).toBeGreaterThanOrEqual(1);
  expect(m.checks).toBeGreaterThan(10);
  if (db === 'postgres') expect(m.db_cuts).toBeGreaterThanOrEqual(1);
  expect(r.violations.map((v) => `${v.kind} at ${(v.at / 1000).toFixed(1)}s: ${v.detail}`)).toEqual([]);
  expect(m.leaked_listeners).toBe(0);
  expect(m.double_allocations).toBe(0);
  expect(m.ledger_active_at_end).toBe(0);
  return r;
}
