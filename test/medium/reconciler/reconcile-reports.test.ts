import { ReconcileReportNotFoundError } from '@app/reconciler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { DB_KINDS } from '../../support/test-databases';
import { startReconciler, type ReconcilerHarness } from '../../support/reconciler-harness';

const DAY = 24 * 3600 * 1000;

describe.each(DB_KINDS)('reconcile reports on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 20 : 21);
  let h: ReconcilerHarness;

  beforeAll(async () => {
    h = await startReconciler(kind, {
      range: { start: block.start + 300, end: block.start + 319 },
      reconciler: { maxReports: 4, reportRetentionDays: 7 },
    });
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('lists the passes with findings only, newest first, a page at a time, and totals them by kind and action', async () => {
    const from = h.clock.now();
    const empty = await h.reconciler.reconcileOnce();
    const port = h.pool.pairs.freeInOrder()[0];
    await h.openOrphan('00000000-0000-4000-8000-0000000000ee', port);
    const pending = await h.reconciler.reconcileOnce();
    const closed = await h.reconciler.reconcileOnce();
    const emptyAgain = await h.reconciler.reconcileOnce();

    const all = await h.reports.list({ limit: 10, from });
    expect(all.items.map((r) => r.id)).toEqual([emptyAgain.id, closed.id, pending.id, empty.id]);

    const page1 = await h.reports.list({ limit: 1, withFindings: true, from });
    expect(page1.items.map((r) => r.id)).toEqual([closed.id]);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await h.reports.list({ limit: 1, withFindings: true, from, cursor: page1.nextCursor! });
    expect(page2.items.map((r) => r.id)).toEqual([pending.id]);
    expect(page2.nextCursor).toBeNull();
    expect(page2.items[0].findings).toEqual([expect.objectContaining({ kind: 'orphan-listener', port, action: 'pending' })]);

    const summary = await h.reports.summary(from, h.clock.now() + 1);
    expect(summary).toMatchObject({ passes: 4, findings: { 'orphan-listener': { pending: 1, closed: 1 } } });
    expect(summary.longestPassMs).toBe(Math.max(empty.durationMs, pending.durationMs, closed.durationMs, emptyAgain.durationMs));
    expect((await h.reports.summary(emptyAgain.startedAt + 1, h.clock.now() + 1)).passes).toBe(0);
  });

  it('keeps no more than the configured number of reports', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await h.reconciler.reconcileOnce()).id);
    const kept = await h.reports.list({ limit: 50 });
    expect(kept.items.map((r) => r.id)).toEqual(ids.slice(-4).reverse());
  });

  it('drops reports older than the retention period', async () => {
    const old = await h.reconciler.reconcileOnce();
    h.clock.advance(8 * DAY);
    const fresh = await h.reconciler.reconcileOnce();
    await expect(h.reports.get(old.id)).rejects.toBeInstanceOf(ReconcileReportNotFoundError);
    expect((await h.reports.list({ limit: 50 })).items.map((r) => r.id)).toEqual([fresh.id]);
  });
});
