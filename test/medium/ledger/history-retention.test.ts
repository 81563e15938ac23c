import { HistoryRetention, LeaseQueries } from '@app/leasing';
import { LedgerDatabase } from '@app/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { DB_KINDS } from '../../support/test-databases';

const DAY = 24 * 3600 * 1000;

describe.each(DB_KINDS)('history retention on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 31 : 32);
  let h: LedgerHarness;

  beforeAll(async () => {
    h = await startLedger(kind, { range: rangeOf(block.range(40, 200)), historyRetentionDays: 90 });
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('prunes ended leases and their events older than the retention, in batches, and keeps newer and active ones', async () => {
    const allocate = (streamId: string) => h.allocate.allocate({ streamId }).then((r) => r.lease);
    const old = [];
    for (let i = 0; i < 25; i++) old.push(await allocate(`old-${i}`));
    const stillActive = await allocate('old-but-active');
    const recent = [];
    for (let i = 0; i < 5; i++) recent.push(await allocate(`recent-${i}`));
    for (const l of [...old, ...recent]) await h.release.release(l.id);
    // Made and ended 120 days ago (and one active lease as old), or 30 days ago.
    const db = h.app.get(LedgerDatabase);
    const backdate = (ids: string[], days: number) =>
      db.exec(
        null,
        `UPDATE leases SET created_at = created_at - ?, released_at = released_at - ? WHERE id IN (${ids.map(() => '?').join(', ')})`,
        [days * DAY, days * DAY, ...ids],
      );
    await backdate([...old.map((l) => l.id), stillActive.id], 120);
    await backdate(
      recent.map((l) => l.id),
      30,
    );

    const pruned = await h.app.get(HistoryRetention).pruneOnce(10);
    expect(pruned).toEqual({ leases: 25, events: 25 * 3, batches: 3 });

    const queries = h.app.get(LeaseQueries);
    const left = await queries.history({ limit: 500 });
    expect(new Set(left.items.map((l) => l.streamId))).toEqual(new Set(['old-but-active', ...recent.map((l) => l.streamId)]));
    await expect(queries.eventsOf(old[0].id)).rejects.toMatchObject({ code: 'lease_not_found' });
    expect((await queries.eventsOf(recent[0].id)).items.map((e) => e.type)).toEqual(['allocated', 'listening', 'released']);
    expect((await queries.get(stillActive.id)).lease.state).toBe('listening');
    expect(await h.app.get(HistoryRetention).pruneOnce(10)).toEqual({ leases: 0, events: 0, batches: 0 });
  });
});
