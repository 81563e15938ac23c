import { OsSocketReader } from '@app/reconciler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { DB_KINDS } from '../../support/test-databases';
import { findingsOf, startReconciler, type ReconcilerHarness } from '../../support/reconciler-harness';
import { waitFor } from '../../support/wait-for';

const CHURN_LEASES = 6;

/**
 * A busy node: leases are allocated and released all the time, also while a pass reads the
 * TCP tables. The listeners that came and went during the read are no evidence against the
 * tables, so the orphan listener is still closed (not deferred pass after pass).
 */
describe.each(DB_KINDS)('reconciling under allocation churn on %s', (kind) => {
  const block = portBlock(28);
  // sqlite and postgres each take 20 pairs of their own in the block
  const start = block.start + (kind === 'sqlite' ? 0 : 200);
  const range = { start, end: start + 39 };
  let h: ReconcilerHarness;
  let stop = false;
  let churn: Promise<void> = Promise.resolve();
  let churned = 0;

  beforeAll(async () => {
    h = await startReconciler(kind, { range });
  });
  afterAll(async () => {
    stop = true;
    await churn;
    await h?.destroy();
  });

  /** Keeps CHURN_LEASES leases alive, releasing the oldest as each new one is allocated. */
  async function runChurn(): Promise<void> {
    const live: string[] = [];
    for (let i = 0; !stop; i++) {
      const { lease } = await h.allocate.allocate({ streamId: `churn-${kind}-${i}` });
      live.push(lease.id);
      if (live.length > CHURN_LEASES) await h.release.release(live.shift() as string);
      churned++;
      // On SQLite a whole allocate/release cycle can complete in microtasks: let timers and I/O run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(live.map((id) => h.release.release(id)));
  }

  /**
   * Makes the churn reach into every table read: before the real read starts, waits (bounded)
   * until every churn lease that the pass's gateway snapshot saw has been released and
   * replaced, as on a node where a pass takes longer than a lease lives.
   */
  function readTablesDuringChurn(orphan: string): void {
    const reader = h.app.get(OsSocketReader);
    const readTable = reader.readTable.bind(reader);
    reader.readTable = async (range) => {
      const seen = new Set(
        h.gateway
          .listeners()
          .map((g) => g.leaseId)
          .filter((id) => id !== orphan),
      );
      await waitFor(() => ![...seen].some((id) => h.gateway.has(id)), 'the churn to turn over the listeners of the snapshot', {
        timeoutMs: 30_000,
        everyMs: 5,
      });
      return readTable(range);
    };
  }

  it('closes an orphan listener on the second pass while leases come and go during every read', async () => {
    const port = range.end - 1;
    const orphan = '00000000-0000-4000-8000-0000000c4a72';
    await h.openOrphan(orphan, port);
    readTablesDuringChurn(orphan);
    churn = runChurn();
    await waitFor(() => h.gateway.size >= CHURN_LEASES + 1, 'the churn leases open', { timeoutMs: 30_000, everyMs: 5 });

    const first = await h.reconciler.reconcileOnce();
    expect({ deferred: first.deferred, osReadError: first.osReadError }).toEqual({ deferred: false, osReadError: null });
    expect(findingsOf(first, 'orphan-listener').filter(([, , id]) => id === orphan)).toEqual([['pending', port, orphan]]);

    const second = await h.reconciler.reconcileOnce();
    expect({ deferred: second.deferred, osReadError: second.osReadError }).toEqual({ deferred: false, osReadError: null });
    expect(findingsOf(second, 'orphan-listener').filter(([, , id]) => id === orphan)).toEqual([['closed', port, orphan]]);
    expect(h.gateway.has(orphan)).toBe(false);
    // The freed pair may go straight to the next churn lease: once the churn has released
    // every lease it holds, nothing may listen on the orphan's pair.
    stop = true;
    await churn;
    expect(listeningPorts(port, port + 1)).toEqual([]);
    expect(churned).toBeGreaterThan(2 * CHURN_LEASES);
  });
});
