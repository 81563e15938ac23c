import { LEASING_OPTIONS, type LeasingOptions } from '@app/leasing';
import { LedgerDatabase } from '@app/ledger';
import { PortPool } from '../../../libs/leasing/src/ports/port-pool.service';
import type { INestApplicationContext } from '@nestjs/common';
import { seedHistory } from '../../support/history-seed';

/**
 * Ended leases (with their events) written before measuring: a ledger that has run for
 * months, so that a query whose cost grows with history shows up in the numbers.
 * BENCH_HISTORY_LEASES=0 measures an empty ledger.
 */
export const HISTORY_LEASES = Number(process.env.BENCH_HISTORY_LEASES ?? 200_000);

/** Seeds the app's node's history over its port range, then reloads its pool (as at boot). */
export async function seedBenchHistory(app: INestApplicationContext): Promise<void> {
  if (HISTORY_LEASES <= 0) return;
  const { nodeId, range } = app.get<LeasingOptions>(LEASING_OPTIONS);
  const rtpStart = range.start % 2 === 0 ? range.start : range.start + 1;
  const pairs = Math.floor((range.end - rtpStart + 1) / 2);
  await seedHistory(app.get(LedgerDatabase), { nodeId, leases: HISTORY_LEASES, rtpStart, pairs, now: Date.now(), webhooks: true });
  await app.get(PortPool).load();
}
