import { Injectable } from '@nestjs/common';

/**
 * Whether the boot sequence (ledger connect + migrate, resume, first reconcile pass) is done.
 * HTTP listens before boot so that /health can say why the service is not ready (e.g. the
 * database is down and being retried); until `markReady()` every other route answers
 * `503 starting` (see ReadinessGuard).
 */
@Injectable()
export class Readiness {
  private readyAt: number | null = null;

  get ready(): boolean {
    return this.readyAt !== null;
  }

  get since(): number | null {
    return this.readyAt;
  }

  markReady(at = Date.now()): void {
    this.readyAt ??= at;
  }
}
