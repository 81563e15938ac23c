import { IdGenerator, eventOf, endCause, LEASE_TRANSITIONS, transitioned, type Lease, type LeaseTransition } from '@app/leasing';
import { LeaseEventRepository, LeaseRepository, LedgerDatabase, WebhookOutboxRepository } from '@app/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Internal to leasing: the one writer of lease transitions, exercised here on its own.
import { LeaseTransitionWriter } from '../../../libs/leasing/src/transitions/lease-transition.writer';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock } from '../../support/port-blocks';
import { DB_KINDS, type DbKind } from '../../support/test-databases';

// No lease is allocated and no socket opened: rows are written by the writer alone. The range
// (block 9) only gives the rows ports of this file's own.
const block = portBlock(9);
const T0 = 1_800_000_000_000;

/** Every transition once, in an order a lease can live through. */
const LIFE: LeaseTransition[] = [
  { kind: 'allocated' },
  { kind: 'listening', bindHost: '127.0.0.1' },
  { kind: 'resumed' },
  { kind: 'streaming' },
  { kind: 'idle' },
  { kind: 'renewed', ttlS: 7200, expiresAt: T0 + 7_200_000 },
  { kind: 'ssrc-updated', ssrc: '0100000009' },
  { kind: 'peer-set', peerAddress: '192.0.2.10', peerPort: 15060 },
  {
    kind: 'forward-down',
    detail: { to: 'tcp://127.0.0.1:10000', error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:10000', reconnects: 0 },
  },
  { kind: 'forward-up', detail: { to: 'tcp://127.0.0.1:10000', error: null, reconnects: 1 } },
  { kind: 'ended', cause: endCause('clientRelease'), finalStats: { packets: 3 } },
];

async function withLedger(kind: DbKind, offset: number) {
  const start = block.start + offset;
  const h = await startLedger(kind, { range: { start, end: start + 19 }, webhooks: true });
  const leases = h.app.get(LeaseRepository);
  const events = h.app.get(LeaseEventRepository);
  const outbox = h.app.get(WebhookOutboxRepository);
  let port = start;
  return {
    h,
    writer: h.app.get(LeaseTransitionWriter),
    row: (id: string) => leases.findById(id),
    events: (id: string) => events.last(id, 100),
    outbox: async (id: string) => (await outbox.page({ nodeId: h.options.nodeId, limit: 100 })).items.filter((e) => e.subjectId === id),
    /** A `reserved` lease as the allocation would insert it (not yet written). */
    fresh: (streamId: string): Lease => {
      const rtpPort = (port += 2) - 2;
      return {
        id: h.app.get(IdGenerator).next(),
        nodeId: h.options.nodeId,
        streamId,
        host: '127.0.0.1',
        rtpPort,
        rtcpPort: rtpPort + 1,
        transport: 'tcp-passive',
        state: 'reserved',
        ssrc: null,
        peerAddress: null,
        peerPort: null,
        client: 'spec',
        record: false,
        recordPath: null,
        forward: null,
        forwardSsrc: null,
        ttlS: 3600,
        connectTimeoutS: 3600,
        idleTimeoutS: 3600,
        createdAt: T0,
        updatedAt: T0,
        expiresAt: T0 + 3_600_000,
        releasedAt: null,
        releaseReason: null,
        finalStats: null,
      };
    },
  };
}

describe.each(DB_KINDS)('the lease transition writer on %s', (kind) => {
  let l: Awaited<ReturnType<typeof withLedger>>;
  let h: LedgerHarness;

  beforeAll(async () => {
    l = await withLedger(kind, kind === 'sqlite' ? 0 : 100);
    h = l.h;
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('lives through every transition of the table', () => {
    expect(new Set(LIFE.map((t) => t.kind))).toEqual(new Set(Object.keys(LEASE_TRANSITIONS)));
  });

  it('writes each transition as its row, its event and its webhook together', async () => {
    let lease = l.fresh('every-transition');
    for (const [i, t] of LIFE.entries()) {
      const at = T0 + 1000 * (i + 1);
      const [eventsBefore, outboxBefore] = [await l.events(lease.id), await l.outbox(lease.id)];
      const expected = transitioned(lease, t, at);
      const event = eventOf(lease, t);
      const webhook = LEASE_TRANSITIONS[t.kind].webhook;

      expect(await l.writer.apply(i === 0 ? lease : lease.id, t, at), t.kind).toBe(true);

      expect(await l.row(lease.id), t.kind).toEqual(expected);
      expect((await l.events(lease.id)).slice(eventsBefore.length), t.kind).toEqual(
        event ? [{ type: event.type, at, detail: event.detail }] : [],
      );
      const sent = (await l.outbox(lease.id)).filter((e) => !outboxBefore.some((b) => b.id === e.id));
      expect(
        sent.map((e) => [e.type, e.status, e.payload]),
        t.kind,
      ).toEqual(webhook ? [[webhook, 'pending', 'detail' in t ? { lease: expected, forward: t.detail } : { lease: expected }]] : []);
      lease = expected;
    }
  });

  it('writes nothing on an ended row: no event, no webhook', async () => {
    const lease = l.fresh('ended-first');
    await l.writer.apply(lease, { kind: 'allocated' }, T0);
    await l.writer.apply(lease.id, { kind: 'ended', cause: endCause('ttl'), finalStats: null }, T0 + 1);
    const [events, outbox] = [await l.events(lease.id), await l.outbox(lease.id)];

    expect(await l.writer.apply(lease.id, { kind: 'streaming' }, T0 + 2)).toBe(false);
    expect(await l.writer.apply(lease.id, { kind: 'ended', cause: endCause('clientRelease'), finalStats: null }, T0 + 3)).toBe(false);

    expect(await l.row(lease.id)).toMatchObject({ state: 'expired', releaseReason: 'ttl' });
    expect(await l.events(lease.id)).toEqual(events);
    expect(await l.outbox(lease.id)).toEqual(outbox);
  });
});

describe.each(DB_KINDS)('a failing outbox insert on %s', (kind) => {
  let l: Awaited<ReturnType<typeof withLedger>>;

  beforeAll(async () => {
    l = await withLedger(kind, kind === 'sqlite' ? 200 : 300);
  });
  afterAll(async () => {
    await l?.h.destroy();
  });

  it('rolls back the state and the event written with it', async () => {
    const lease = l.fresh('no-outbox');
    await l.writer.apply(lease, { kind: 'allocated' }, T0);
    await l.writer.apply(lease.id, { kind: 'listening', bindHost: '127.0.0.1' }, T0 + 1);
    const [row, events] = [await l.row(lease.id), await l.events(lease.id)];
    expect(row).toMatchObject({ state: 'listening' });

    // A real failure of the outbox insert, inside the transaction: its table is gone.
    await l.h.app.get(LedgerDatabase).exec(null, 'DROP TABLE webhook_outbox');

    // the terminal state and its event, with lease.ended
    await expect(l.writer.apply(lease.id, { kind: 'ended', cause: endCause('clientRelease'), finalStats: null }, T0 + 2)).rejects.toThrow(
      /webhook_outbox/,
    );
    expect(await l.row(lease.id)).toEqual(row);
    expect(await l.events(lease.id)).toEqual(events);
    // a state with no event, with lease.streaming
    await expect(l.writer.apply(lease.id, { kind: 'streaming' }, T0 + 3)).rejects.toThrow(/webhook_outbox/);
    expect(await l.row(lease.id)).toEqual(row);
  });
});
