import type { Lease } from '@app/ledger';
import { describe, expect, it } from 'vitest';
import { END_CAUSES, endCause, type EndCauseName } from '../domain/end-causes';
import { eventOf, LEASE_TRANSITIONS, transitioned, type LeaseTransition, type TransitionKind } from './lease-transitions';

const T0 = 1_800_000_000_000;
const AT = T0 + 5_000;

const BEFORE: Lease = {
  id: 'L1',
  nodeId: 'n',
  streamId: 's1',
  host: '127.0.0.1',
  rtpPort: 30000,
  rtcpPort: 30001,
  transport: 'tcp-passive',
  state: 'streaming',
  ssrc: '0100000001',
  peerAddress: null,
  peerPort: null,
  client: 'sip-gw',
  record: false,
  recordPath: null,
  forward: null,
  forwardSsrc: null,
  ttlS: 60,
  connectTimeoutS: 30,
  idleTimeoutS: 30,
  createdAt: T0,
  updatedAt: T0,
  expiresAt: T0 + 60_000,
  releasedAt: null,
  releaseReason: null,
  finalStats: null,
};

/** Each transition, what it writes into the row, which event it appends (with what), and which webhook it sends. */
const SPEC: Record<
  TransitionKind,
  {
    t: LeaseTransition;
    before?: Partial<Lease>;
    row: Partial<Lease>;
    event: { type: string; detail: Record<string, unknown> } | null;
    webhook: string | null;
  }
> = {
  allocated: {
    t: { kind: 'allocated' },
    before: { state: 'reserved' },
    row: { state: 'reserved', updatedAt: T0 },
    event: { type: 'allocated', detail: { rtpPort: 30000, rtcpPort: 30001, client: 'sip-gw' } },
    webhook: null,
  },
  listening: {
    t: { kind: 'listening', bindHost: '0.0.0.0' },
    before: { state: 'reserved' },
    row: { state: 'listening', updatedAt: AT },
    event: { type: 'listening', detail: { host: '0.0.0.0', rtpPort: 30000, rtcpPort: 30001 } },
    webhook: 'lease.listening',
  },
  resumed: {
    t: { kind: 'resumed' },
    row: { state: 'listening', updatedAt: AT },
    event: { type: 'resumed-after-restart', detail: { previousState: 'streaming' } },
    webhook: null,
  },
  streaming: {
    t: { kind: 'streaming' },
    before: { state: 'listening' },
    row: { state: 'streaming', updatedAt: AT },
    event: null,
    webhook: 'lease.streaming',
  },
  idle: { t: { kind: 'idle' }, row: { state: 'listening', updatedAt: AT }, event: null, webhook: 'lease.listening' },
  renewed: {
    t: { kind: 'renewed', ttlS: 120, expiresAt: AT + 120_000 },
    row: { state: 'streaming', ttlS: 120, expiresAt: AT + 120_000, updatedAt: AT },
    event: { type: 'renewed', detail: { ttlSeconds: 120, expiresAt: new Date(AT + 120_000).toISOString() } },
    webhook: null,
  },
  'ssrc-updated': {
    t: { kind: 'ssrc-updated', ssrc: '0100000002' },
    row: { state: 'streaming', ssrc: '0100000002', updatedAt: AT },
    event: { type: 'ssrc-updated', detail: { ssrc: '0100000002', previous: '0100000001' } },
    webhook: null,
  },
  'peer-set': {
    t: { kind: 'peer-set', peerAddress: '192.0.2.10', peerPort: 15060 },
    before: { transport: 'tcp-active', state: 'listening' },
    row: { state: 'listening', peerAddress: '192.0.2.10', peerPort: 15060, updatedAt: AT },
    event: { type: 'connect-requested', detail: { address: '192.0.2.10', port: 15060 } },
    webhook: null,
  },
  'forward-down': {
    t: { kind: 'forward-down', detail: { to: 'tcp://127.0.0.1:10000', error: 'ECONNREFUSED', reconnects: 0 } },
    row: {},
    event: { type: 'forward-down', detail: { to: 'tcp://127.0.0.1:10000', error: 'ECONNREFUSED', reconnects: 0 } },
    webhook: 'forward.down',
  },
  'forward-up': {
    t: { kind: 'forward-up', detail: { to: 'tcp://127.0.0.1:10000', error: null, reconnects: 1 } },
    row: {},
    event: { type: 'forward-up', detail: { to: 'tcp://127.0.0.1:10000', error: null, reconnects: 1 } },
    webhook: 'forward.up',
  },
  ended: {
    t: { kind: 'ended', cause: endCause('clientRelease'), finalStats: { packets: 7 } },
    row: { state: 'released', releaseReason: 'client', releasedAt: AT, updatedAt: AT, finalStats: { packets: 7 } },
    event: { type: 'released', detail: { reason: 'client' } },
    webhook: 'lease.ended',
  },
};

describe('the lease transitions table', () => {
  it('specifies every transition there is', () => {
    expect(Object.keys(SPEC).sort()).toEqual(Object.keys(LEASE_TRANSITIONS).sort());
  });

  describe.each(Object.entries(SPEC))('%s', (kind, spec) => {
    const before = { ...BEFORE, ...spec.before };

    it(`writes ${JSON.stringify(spec.row)}`, () => {
      expect(transitioned(before, spec.t, AT)).toEqual({ ...before, ...spec.row });
    });

    it(spec.event ? `appends the event ${spec.event.type}` : 'appends no event', () => {
      expect(eventOf(before, spec.t)).toEqual(spec.event);
    });

    it(spec.webhook ? `sends ${spec.webhook}` : 'sends no webhook', () => {
      expect(LEASE_TRANSITIONS[kind as TransitionKind].webhook).toBe(spec.webhook);
    });

    it("names in the table the state it writes ('same': unchanged, 'terminal': the end cause's)", () => {
      const to = LEASE_TRANSITIONS[kind as TransitionKind].to;
      const written = transitioned(before, spec.t, AT).state;
      expect(
        to === 'same' ? before.state : to === 'terminal' ? (spec.t as Extract<LeaseTransition, { kind: 'ended' }>).cause.state : to,
      ).toBe(written);
    });
  });

  it('has streaming and idle write no event, but a webhook: they are the gateway’s activity, not history', () => {
    for (const kind of ['streaming', 'idle'] as const)
      expect(LEASE_TRANSITIONS[kind]).toMatchObject({ event: null, webhook: expect.any(String) });
  });

  describe.each(Object.keys(END_CAUSES) as EndCauseName[])('ending for %s', (name) => {
    const cause = endCause(name, { port: 30000 });
    const t: LeaseTransition = { kind: 'ended', cause, finalStats: null };

    it(`writes ${END_CAUSES[name].state} with reason ${END_CAUSES[name].reason}, its event, and sends lease.ended`, () => {
      expect(transitioned(BEFORE, t, AT)).toMatchObject({ state: cause.state, releaseReason: cause.reason, releasedAt: AT });
      expect(eventOf(BEFORE, t)).toEqual({ type: cause.state, detail: { reason: cause.reason, port: 30000 } });
      expect(LEASE_TRANSITIONS.ended.webhook).toBe('lease.ended');
      expect(cause.webhook).toBe(LEASE_TRANSITIONS.ended.webhook);
    });
  });
});
