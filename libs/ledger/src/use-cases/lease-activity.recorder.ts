import { MediaGateway, type GatewayEventSink, type GatewayLeaseEvent, type GatewayTimeout } from '@app/gateway';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { LedgerDatabase } from '../database/ledger-database';
import { Clock } from '../domain/clock';
import { END_CAUSES } from '../domain/lease';
import { LeaseEventRepository } from '../repositories/lease-event.repository';
import { LeaseRepository } from '../repositories/lease.repository';
import { ReleaseLeaseUseCase } from './release-lease.use-case';
import { WebhookOutbox } from '../webhooks/webhook-outbox';

/**
 * Turns what happens on the sockets into ledger rows: events, streaming ↔ listening, and —
 * for connect and idle timeouts — the one release routine. Never per packet.
 */
@Injectable()
export class LeaseActivityRecorder implements GatewayEventSink, OnModuleInit {
  private readonly logger = new Logger(LeaseActivityRecorder.name);
  /** each lease's last queued write; removed once it is done */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly gateway: MediaGateway,
    private readonly db: LedgerDatabase,
    private readonly leases: LeaseRepository,
    private readonly events: LeaseEventRepository,
    private readonly release: ReleaseLeaseUseCase,
    private readonly clock: Clock,
    private readonly webhooks: WebhookOutbox,
  ) {}

  onModuleInit(): void {
    this.gateway.setEventSink(this);
  }

  leaseEvent(leaseId: string, type: GatewayLeaseEvent, detail: Record<string, unknown>): void {
    const at = this.clock.now();
    this.write(leaseId, type, () => this.db.transaction((tx) => this.events.append(tx, leaseId, type, at, detail)));
  }

  leaseStateChanged(leaseId: string, state: 'streaming' | 'listening'): void {
    const at = this.clock.now();
    const mark = () =>
      this.db.transaction(async (tx) => {
        if (await this.leases.markActiveState(tx, leaseId, state, at)) await this.webhooks.lease(tx, `lease.${state}`, leaseId);
      });
    // A state the ledger could not take (it is down) is written again once it is back, for as
    // long as the lease lives here: the row must not say `listening` while media flows. Events
    // are history and are not retried.
    this.write(leaseId, state, () => this.untilWritten(leaseId, mark));
  }

  private async untilWritten(leaseId: string, mark: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await mark();
      } catch (err) {
        if (!this.gateway.has(leaseId)) throw err;
        if (attempt === 0) this.logger.warn(`lease ${leaseId}: state write failed (${err}); retrying until the ledger answers`);
        await sleep(Math.min(250 * 2 ** attempt, 5000));
      }
    }
  }

  leaseTimedOut(leaseId: string, reason: GatewayTimeout): void {
    const cause = reason === 'connect-timeout' ? END_CAUSES.connectTimeout : END_CAUSES.idleTimeout;
    this.write(leaseId, reason, () => this.release.release(leaseId, cause));
  }

  /**
   * Runs one lease's writes one after another, in the order the gateway reported them:
   * PostgreSQL runs transactions side by side, so otherwise the `listening` of a connection that
   * closed could commit after the `streaming` of the reconnect that followed it (the lease left
   * `listening` while media flows), and events could land out of order. Leases stay concurrent.
   */
  private write(leaseId: string, what: string, fn: () => Promise<unknown>): void {
    const tail = (this.tails.get(leaseId) ?? Promise.resolve())
      .then(fn)
      .then(
        () => undefined,
        (err) => this.logger.error(`lease ${leaseId}: recording ${what} failed: ${err}`),
      )
      .finally(() => {
        if (this.tails.get(leaseId) === tail) this.tails.delete(leaseId);
      });
    this.tails.set(leaseId, tail);
  }
}
