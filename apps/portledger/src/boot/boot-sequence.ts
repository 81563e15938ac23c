import { LedgerLifecycle } from '@app/leasing';
import { ReconcileScheduler, Reconciler } from '@app/reconciler';
import { Injectable, Logger } from '@nestjs/common';

/**
 * Boot order (docs/ARCHITECTURE.md#boot): migrate → load this node's active rows → end the overdue ones →
 * re-open the rest → first reconcile pass → only then serve the API. main.ts listens for HTTP
 * before run() so /health can report a database still being retried, but ReadinessGuard
 * answers every API route `503 starting` until run() has finished.
 */
@Injectable()
export class BootSequence {
  private readonly logger = new Logger(BootSequence.name);

  constructor(
    private readonly ledger: LedgerLifecycle,
    private readonly reconciler: Reconciler,
    private readonly schedule: ReconcileScheduler,
  ) {}

  async run(): Promise<void> {
    const t0 = Date.now();
    await this.ledger.boot();
    const first = await this.reconciler.reconcileOnce();
    this.logger.log(`first reconcile pass: ${first.findings.length} findings${first.deferred ? ` (deferred: ${first.osReadError})` : ''}`);
    await this.schedule.start();
    this.logger.log(`boot sequence done in ${Date.now() - t0} ms`);
  }

  logReady(host: string, port: number): void {
    this.logger.log(`portledger listening on http://${host}:${port}`);
  }
}
