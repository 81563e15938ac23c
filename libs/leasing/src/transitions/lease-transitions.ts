import type { Lease, LeaseState, LeaseWebhookType } from '@app/ledger';
import type { EndCause } from '../domain/end-causes';

/** Every change the service makes to a lease row (the gateway's activity events aside). */
export type LeaseTransition =
  /** the row is inserted `reserved`, before listen() */
  | { kind: 'allocated' }
  /** allocation: both ports listen */
  | { kind: 'listening'; bindHost: string }
  /** boot: a row that outlived the process listens again */
  | { kind: 'resumed' }
  /** the device's connection delivered accepted media */
  | { kind: 'streaming' }
  /** the streaming connection went away; the listeners wait for the next one */
  | { kind: 'idle' }
  | { kind: 'renewed'; ttlS: number; expiresAt: number }
  | { kind: 'ssrc-updated'; ssrc: string | null }
  /** tcp-active: the device's address and port to dial (the connect call) */
  | { kind: 'peer-set'; peerAddress: string; peerPort: number }
  /** the lease's forward connection dropped or failed (forward-down), or came back (forward-up): events + webhooks, no state */
  | { kind: 'forward-down' | 'forward-up'; detail: Record<string, unknown> }
  /** the terminal write of the release routine */
  | { kind: 'ended'; cause: EndCause; finalStats: Record<string, unknown> | null };

export type TransitionKind = LeaseTransition['kind'];

interface TransitionRule {
  /** the state written; `same` keeps it, `terminal` is the end cause's */
  to: LeaseState | 'same' | 'terminal';
  /** the lease event appended (`terminal`: the end cause's state), or null for none */
  event: string | null;
  /** the webhook written into the outbox in the same transaction, or null for none */
  webhook: LeaseWebhookType | null;
}

/** Which transition writes which state, which event and which webhook: the one table. */
export const LEASE_TRANSITIONS = {
  allocated: { to: 'reserved', event: 'allocated', webhook: null },
  listening: { to: 'listening', event: 'listening', webhook: 'lease.listening' },
  resumed: { to: 'listening', event: 'resumed-after-restart', webhook: null },
  streaming: { to: 'streaming', event: null, webhook: 'lease.streaming' },
  idle: { to: 'listening', event: null, webhook: 'lease.listening' },
  renewed: { to: 'same', event: 'renewed', webhook: null },
  'ssrc-updated': { to: 'same', event: 'ssrc-updated', webhook: null },
  'peer-set': { to: 'same', event: 'connect-requested', webhook: null },
  'forward-down': { to: 'same', event: 'forward-down', webhook: 'forward.down' },
  'forward-up': { to: 'same', event: 'forward-up', webhook: 'forward.up' },
  ended: { to: 'terminal', event: 'terminal', webhook: 'lease.ended' },
} as const satisfies Record<TransitionKind, TransitionRule>;

/** The lease as it is once `t` is written at `at` (what the webhook carries and the caller answers). */
export function transitioned(lease: Lease, t: LeaseTransition, at: number): Lease {
  switch (t.kind) {
    case 'allocated':
      return lease;
    case 'listening':
    case 'resumed':
    case 'idle':
      return { ...lease, state: 'listening', updatedAt: at };
    case 'streaming':
      return { ...lease, state: 'streaming', updatedAt: at };
    case 'renewed':
      return { ...lease, expiresAt: t.expiresAt, ttlS: t.ttlS, updatedAt: at };
    case 'ssrc-updated':
      return { ...lease, ssrc: t.ssrc, updatedAt: at };
    case 'peer-set':
      return { ...lease, peerAddress: t.peerAddress, peerPort: t.peerPort, updatedAt: at };
    case 'forward-down':
    case 'forward-up':
      return lease;
    case 'ended':
      return { ...lease, state: t.cause.state, releaseReason: t.cause.reason, releasedAt: at, updatedAt: at, finalStats: t.finalStats };
  }
}

/** The event a transition appends (its type from the table, its detail from the row before the write), or null. */
export function eventOf(before: Lease, t: LeaseTransition): { type: string; detail: Record<string, unknown> } | null {
  const type = LEASE_TRANSITIONS[t.kind].event;
  if (type === null) return null;
  return { type: type === 'terminal' && t.kind === 'ended' ? t.cause.state : type, detail: eventDetail(before, t) };
}

function eventDetail(before: Lease, t: LeaseTransition): Record<string, unknown> {
  switch (t.kind) {
    case 'allocated':
      return { rtpPort: before.rtpPort, rtcpPort: before.rtcpPort, client: before.client };
    case 'listening':
      return { host: t.bindHost, rtpPort: before.rtpPort, rtcpPort: before.rtcpPort };
    case 'resumed':
      return { previousState: before.state };
    case 'renewed':
      return { ttlSeconds: t.ttlS, expiresAt: new Date(t.expiresAt).toISOString() };
    case 'ssrc-updated':
      return { ssrc: t.ssrc, previous: before.ssrc };
    case 'peer-set':
      return { address: t.peerAddress, port: t.peerPort };
    case 'ended':
      return { reason: t.cause.reason, ...t.cause.detail };
    case 'forward-down':
    case 'forward-up':
      return t.detail;
    case 'streaming':
    case 'idle':
      return {};
  }
}
