import { isActiveState, LeaseEventRepository, LeaseRepository, LedgerDatabase, type Lease, type Tx } from '@app/ledger';
import { Injectable } from '@nestjs/common';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { eventOf, LEASE_TRANSITIONS, transitioned, type LeaseTransition } from './lease-transitions';

/**
 * The one writer of lease transitions: the row, its event and its webhook (LEASE_TRANSITIONS)
 * in one transaction, so an event or a webhook exists exactly when the change committed.
 * Every transition but `allocated` applies to an active row only; `apply` answers false when
 * the row had ended meanwhile, and then nothing is written.
 */
@Injectable()
export class LeaseTransitionWriter {
  constructor(
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly outbox: WebhookOutbox,
  ) {}

  /** `subject`: the lease as the caller holds it, or its id to read it inside the transaction. */
  apply(subject: Lease | string, t: LeaseTransition, at: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rule = LEASE_TRANSITIONS[t.kind];
      const needsRow = rule.event !== null || (rule.webhook !== null && this.outbox.enabled);
      const before = typeof subject !== 'string' ? subject : needsRow ? await this.leases.findById(subject, tx) : null;
      const id = typeof subject === 'string' ? subject : subject.id;
      if (!(await this.writeRow(tx, id, before, t, at))) return false;
      if (!before) return true;
      const event = eventOf(before, t);
      if (event) await this.events.append(tx, id, event.type, at, event.detail);
      const forward = t.kind === 'forward-down' || t.kind === 'forward-up' ? t.detail : undefined;
      if (rule.webhook) await this.outbox.lease(tx, rule.webhook, transitioned(before, t, at), forward);
      return true;
    });
  }

  /** An activity event of the gateway's (peer-connected, first-packet …): an event, no state change. */
  async note(leaseId: string, type: string, at: number, detail: Record<string, unknown>): Promise<void> {
    await this.db.transaction((tx) => this.events.append(tx, leaseId, type, at, detail));
  }

  private async writeRow(tx: Tx, id: string, before: Lease | null, t: LeaseTransition, at: number): Promise<boolean> {
    switch (t.kind) {
      case 'allocated':
        await this.leases.insertReserved(tx, before as Lease);
        return true;
      case 'listening':
      case 'resumed':
      case 'idle':
        return this.leases.markActiveState(tx, id, 'listening', at);
      case 'streaming':
        return this.leases.markActiveState(tx, id, 'streaming', at);
      case 'renewed':
        return this.leases.extendExpiry(tx, id, t.expiresAt, t.ttlS, at);
      case 'ssrc-updated':
        return this.leases.setSsrc(tx, id, t.ssrc, at);
      case 'peer-set':
        return this.leases.setPeer(tx, id, t.peerAddress, t.peerPort, at);
      case 'forward-down':
      case 'forward-up':
        // No row change: written only while the lease is active (its sockets are still ours).
        return before !== null && isActiveState(before.state);
      case 'ended':
        return this.leases.markEnded(tx, id, t.cause, at, t.finalStats);
    }
  }
}
