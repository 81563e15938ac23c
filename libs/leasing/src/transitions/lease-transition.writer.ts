import {
  isActiveState,
  LeaseChangeRepository,
  LeaseEventRepository,
  LeaseRepository,
  LedgerDatabase,
  type Lease,
  type LeaseChange,
} from '@app/ledger';
import { Injectable } from '@nestjs/common';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { eventOf, LEASE_TRANSITIONS, transitioned, type LeaseTransition } from './lease-transitions';

/**
 * The one writer of lease transitions: the row, its event and its webhook (LEASE_TRANSITIONS)
 * in one transaction, so an event or a webhook exists exactly when the change committed
 * (LeaseChangeRepository: one statement on PostgreSQL). Every transition but `allocated`
 * applies to an active row only; `apply` answers false when the row had ended meanwhile, and
 * then nothing is written.
 */
@Injectable()
export class LeaseTransitionWriter {
  constructor(
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly changes: LeaseChangeRepository,
    private readonly outbox: WebhookOutbox,
  ) {}

  /** `subject`: the lease as the caller holds it, or its id to read it inside the transaction. */
  apply(subject: Lease | string, t: LeaseTransition, at: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rule = LEASE_TRANSITIONS[t.kind];
      const needsRow = rule.event !== null || (rule.webhook !== null && this.outbox.enabled);
      const before = typeof subject !== 'string' ? subject : needsRow ? await this.leases.findById(subject, tx) : null;
      const leaseId = typeof subject === 'string' ? subject : subject.id;
      const row = rowChange(before, t);
      // No row change (forward-down/up): written only while the lease is active (its sockets are still ours).
      if (row === null && !(before !== null && isActiveState(before.state))) return false;
      const change: LeaseChange = { leaseId, at, row, event: null, webhook: null };
      if (before) {
        change.event = eventOf(before, t);
        const forward = t.kind === 'forward-down' || t.kind === 'forward-up' ? t.detail : undefined;
        if (rule.webhook) change.webhook = this.outbox.forLease(rule.webhook, transitioned(before, t, at), forward);
      }
      return this.changes.write(tx, change);
    });
  }

  /** An activity event of the gateway's (peer-connected, first-packet …): an event, no state change. */
  async note(leaseId: string, type: string, at: number, detail: Record<string, unknown>): Promise<void> {
    await this.db.transaction((tx) => this.events.append(tx, leaseId, type, at, detail));
  }
}

/** What a transition writes on the lease row (null: nothing). */
function rowChange(before: Lease | null, t: LeaseTransition): LeaseChange['row'] {
  switch (t.kind) {
    case 'allocated':
      return { kind: 'insert', lease: before as Lease };
    case 'listening':
    case 'resumed':
    case 'idle':
      return { kind: 'state', state: 'listening' };
    case 'streaming':
      return { kind: 'state', state: 'streaming' };
    case 'renewed':
      return { kind: 'expiry', expiresAt: t.expiresAt, ttlS: t.ttlS };
    case 'ssrc-updated':
      return { kind: 'ssrc', ssrc: t.ssrc };
    case 'peer-set':
      return { kind: 'peer', peerAddress: t.peerAddress, peerPort: t.peerPort };
    case 'forward-down':
    case 'forward-up':
      return null;
    case 'ended':
      return { kind: 'end', end: t.cause, finalStats: t.finalStats };
  }
}
