import { MediaGateway, type GatewayEventSink, type GatewayLeaseEvent, type GatewayTimeout } from '@app/gateway';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Clock } from '../domain/clock';
import { END_CAUSES } from '../domain/end-causes';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
import { ReleaseLeaseUseCase } from '../use-cases/release-lease.use-case';

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
    private readonly writer: LeaseTransitionWriter,
    private readonly release: ReleaseLeaseUseCase,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.gateway.setEventSink(this);
  }

  leaseEvent(leaseId: string, type: GatewayLeaseEvent, detail: Record<string, unknown>): void {
    // The time the gateway reported it, not the time the queued write runs.
    const at = this.clock.now();
    if (type === 'forward-down' || type === 'forward-up') {
      // An event and a webhook (forward.down / forward.up), through the transition writer.
      this.write(leaseId, type, () => this.writer.apply(leaseId, { kind: type, detail }, at));
      return;
    }
    this.write(leaseId, type, () => this.writer.note(leaseId, type, at, detail));
  }

  leaseStateChanged(leaseId: string, state: 'streaming' | 'listening'): void {
    const at = this.clock.now();
    const mark = () => this.writer.apply(leaseId, { kind: state === 'streaming' ? 'streaming' : 'idle' }, at);
    // A state the ledger could not take (it is down) is written again once it is back, for as
    // long as the lease lives here: the row must not say `listening` while media flows. Events
    // are history and are not retried.
    this.write(leaseId, state, () => this.untilWritten(leaseId, mark));
  }

  private async untilWritten(leaseId: string, mark: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await mark();
        return;
      } catch (err) {
        if (!this.gateway.has(leaseId)) throw err;
        if (attempt === 0) this.logger.warn(`lease ${leaseId}: state write failed (${String(err)}); retrying until the ledger answers`);
        await sleep(Math.min(250 * 2 ** attempt, 5000));
      }
    }
  }

  leaseTimedOut(leaseId: string, reason: GatewayTimeout): void {
    const cause = reason === 'connect-timeout' ? END_CAUSES.connectTimeout : END_CAUSES.idleTimeout;
    // Not queued behind this lease's earlier writes: those may be waiting for a ledger that is
    // down (a state write retries for as long as the gateway holds the lease), and the sockets
    // must close now. The terminal write still lands after them, so the events stay in order.
    const ending = this.release.release(leaseId, cause, this.tails.get(leaseId));
    ending.catch(() => undefined); // its failure is logged where the queue reaches it, not as an unhandled rejection meanwhile
    this.write(leaseId, reason, () => ending);
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
