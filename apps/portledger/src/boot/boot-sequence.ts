import { LedgerLifecycle } from '@app/ledger';
import { Injectable, Logger } from '@nestjs/common';

/**
 * Boot order (DESIGN "Boot"): migrate → load this node's active rows → end the overdue ones →
 * re-open the rest → first reconcile pass → only then serve HTTP (main.ts listens after run()).
 */
@Injectable()
export class BootSequence {
  private readonly logger = new Logger(BootSequence.name);

  constructor(private readonly ledger: LedgerLifecycle) {}

  async run(): Promise<void> {
    const t0 = Date.now();
    await this.ledger.boot();
    this.logger.log(`boot sequence done in ${Date.now() - t0} ms`);
  }

  logReady(host: string, port: number): void {
    this.logger.log(`portledger listening on http://${host}:${port}`);
  }
}
