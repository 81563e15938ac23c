import { LeaseEndingError, MediaGateway, type LeaseBinding } from '@app/gateway';
import { LEASING_OPTIONS, type Lease, type LeasingOptions } from '@app/leasing';
import { LeaseRepository, QuarantineRepository } from '@app/ledger';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aLease, bindingOf } from '../../support/lease-builder';
import { findingsOf, startReconciler, type ReconcilerHarness } from '../../support/reconciler-harness';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { DB_KINDS } from '../../support/test-databases';
import { waitFor } from '../../support/wait-for';

/**
 * Holds the release routine between "sockets closed" and "terminal state written" (outside
 * any transaction, so the rest of the ledger goes on): the gateway's next close() does its
 * work, then resolves only when the test opens the gate. `reached` resolves once it closed.
 */
function holdAfterNextClose(gateway: MediaGateway) {
  const own = gateway as { close: MediaGateway['close'] };
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let arrived!: () => void;
  const reached = new Promise<void>((r) => (arrived = r));
  own.close = async (leaseId: string) => {
    delete (own as Partial<typeof own>).close;
    const stats = await gateway.close(leaseId);
    arrived();
    await gate;
    return stats;
  };
  return { reached, open };
}

describe.each(DB_KINDS)('a release racing an open on %s', (kind) => {
  const block = portBlock(15);
  // 10 pairs, SQLite and PostgreSQL in separate halves of the block
  const start = block.start + (kind === 'sqlite' ? 0 : 200);
  const range = { start, end: start + 19 };
  let h: ReconcilerHarness;
  let options: LeasingOptions;

  beforeAll(async () => {
    h = await startReconciler(kind, { range });
    options = h.app.get(LEASING_OPTIONS);
  });
  afterEach(async () => {
    options.testDelayAfterInsertMs = 0;
    const active = await h.queries.history({ state: 'active', limit: 100 });
    await Promise.all(active.items.map((l) => h.release.release(l.id)));
  });
  afterAll(async () => {
    await h?.destroy();
  });

  const activeRow = (streamId: string) => h.app.get(LeaseRepository).findActiveByStream(options.nodeId, streamId);
  const quarantined = () => h.app.get(QuarantineRepository).forNode(options.nodeId);

  /** The pair binds again at once: allocating exactly it listens, and nothing was quarantined. */
  async function expectPairReusable(lease: Lease) {
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    const next = await h.allocate.allocate({ streamId: `${lease.streamId}-next`, rtpPort: lease.rtpPort });
    expect(next.lease).toMatchObject({ state: 'listening', rtpPort: lease.rtpPort });
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    expect(await quarantined()).toEqual([]);
  }

  it('a DELETE by streamId in the insert→listen window leaves no listener, and the pair binds again', async () => {
    options.testDelayAfterInsertMs = 2000;
    const allocation = h.allocate.allocate({ streamId: 'race-delete' });
    const row = await waitFor(() => activeRow('race-delete'), 'the reserved row');
    const released = await h.release.releaseStream('race-delete');
    expect(released).toMatchObject({ id: row.id, state: 'released' });

    const { lease, created } = await allocation;
    // the POST that lost the race answers the lease as it ended; none of its ports listens
    expect(created).toBe(true);
    expect(lease).toMatchObject({ id: row.id, state: 'released', releaseReason: 'client' });
    expect(h.gateway.has(row.id)).toBe(false);
    options.testDelayAfterInsertMs = 0;
    await expectPairReusable(lease);
  });

  it('an allocation that reaches listen() while the release is still writing does not open', async () => {
    options.testDelayAfterInsertMs = 300;
    const opens: Array<Promise<unknown>> = [];
    const realOpen = h.gateway.open.bind(h.gateway);
    h.gateway.open = (b: LeaseBinding) => {
      const p = realOpen(b);
      opens.push(p.catch((e) => e));
      return p;
    };
    try {
      const allocation = h.allocate.allocate({ streamId: 'race-inflight' });
      const row = await waitFor(() => activeRow('race-inflight'), 'the reserved row');
      const gate = holdAfterNextClose(h.gateway);
      const release = h.release.release(row.id);
      try {
        await gate.reached;
        // the allocation wakes up and tries to listen while the lease is ending
        await waitFor(() => opens.length > 0, 'the allocation to try listen()');
        const attempt = await opens[0];
        expect(attempt).toBeInstanceOf(LeaseEndingError);
        expect(listeningPorts(row.rtpPort, row.rtcpPort)).toEqual([]);
      } finally {
        gate.open();
      }
      expect(await release).toMatchObject({ state: 'released' });
      const { lease } = await allocation;
      expect(lease).toMatchObject({ id: row.id, state: 'released' });
      options.testDelayAfterInsertMs = 0;
      await expectPairReusable(lease);
    } finally {
      h.gateway.open = realOpen;
    }
  });

  it('the reconciler does not re-open a ghost lease whose release is in flight', async () => {
    const { lease } = await h.allocate.allocate({ streamId: 'race-ghost' });
    await h.loseListener(lease.id);
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'ghost-lease')).toEqual([['pending', lease.rtpPort, lease.id]]);

    const gate = holdAfterNextClose(h.gateway);
    const release = h.release.release(lease.id);
    try {
      await gate.reached;
      const second = await h.reconciler.reconcileOnce();
      expect(findingsOf(second, 'ghost-lease')).toEqual([['skipped', lease.rtpPort, lease.id]]);
      expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    } finally {
      gate.open();
    }
    expect(await release).toMatchObject({ state: 'released' });
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    await expectPairReusable({ ...lease, streamId: 'race-ghost' });
  });

  it('the reconciler still re-opens a ghost lease whose row is active', async () => {
    const { lease } = await h.allocate.allocate({ streamId: 'ghost-legit' });
    // a lease released earlier in this process does not stand in the way of another's re-open
    await h.loseListener(lease.id);
    await h.reconciler.reconcileOnce();
    expect(findingsOf(await h.reconciler.reconcileOnce(), 'ghost-lease')).toEqual([['re-opened', lease.rtpPort, lease.id]]);
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
  });

  it('a release that lands in the middle of an open closes what the open opened', async () => {
    const port = h.pool.pairs.freeInOrder()[0];
    const binding = bindingOf(aLease({ streamId: 'mid-open', rtpPort: port, connectTimeoutS: 3600, idleTimeoutS: 3600 }));
    const opening = h.gateway.open(binding).catch((e) => e);
    const closing = h.gateway.closeForEnd(binding.leaseId);
    expect(await opening).toBeInstanceOf(LeaseEndingError);
    await closing;
    expect(listeningPorts(port, port + 1)).toEqual([]);
    expect(h.gateway.has(binding.leaseId)).toBe(false);
    // the terminal write landed: it stays refused, the lease is over
    h.gateway.ended(binding.leaseId);
    expect(await h.gateway.open(binding).catch((e) => e)).toBeInstanceOf(LeaseEndingError);
    expect(listeningPorts(port, port + 1)).toEqual([]);
  });
});
