import type { Lease } from '@app/ledger';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { EndCause } from '../domain/end-causes';

/** A lease whose sockets are closed but whose terminal row is not written yet. */
export interface PendingEnd {
  leaseId: string;
  /** null while the row could not be read yet */
  lease: Lease | null;
  cause: EndCause;
  /** when the sockets were closed: the terminal time written, however late the write lands */
  at: number;
  finalStats: Record<string, unknown> | null;
  attempts: number;
  timer: NodeJS.Timeout | null;
}

/**
 * The retry queue of the release routine: ends whose sockets are closed but whose terminal
 * write failed (the ledger is unreachable). Each is written again with backoff until it lands;
 * meanwhile its pair stays out of the free list.
 */
@Injectable()
export class PendingEnds implements OnApplicationShutdown {
  private readonly logger = new Logger(PendingEnds.name);
  private readonly pending = new Map<string, PendingEnd>();

  get(leaseId: string): PendingEnd | undefined {
    return this.pending.get(leaseId);
  }

  has(leaseId: string): boolean {
    return this.pending.has(leaseId);
  }

  /** Queues (or re-queues) an end after a failed write; `retry` runs after the backoff. */
  retryLater(p: PendingEnd, err: unknown, retry: () => void): void {
    p.attempts++;
    this.pending.set(p.leaseId, p);
    if (p.timer) clearTimeout(p.timer);
    // Well under two reconcile passes, so the reconciler never re-opens a lease that is ending.
    const delay = Math.min(250 * 2 ** (p.attempts - 1), 4000);
    this.logger.warn(
      `lease ${p.leaseId} stream ${p.lease?.streamId ?? '?'} port ${p.lease?.rtpPort ?? '?'}: sockets closed but the ${p.cause.state} write failed ` +
        `(attempt ${p.attempts}: ${err instanceof Error ? err.message : String(err)}); pair kept out of the free list, retrying in ${delay} ms`,
    );
    p.timer = setTimeout(() => {
      p.timer = null;
      retry();
    }, delay);
    p.timer.unref();
  }

  /** The end was written (or its lease is gone): forget it. */
  settle(leaseId: string): void {
    const p = this.pending.get(leaseId);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(leaseId);
  }

  onApplicationShutdown(): void {
    // A row still active here is resumed (or expired) by the next boot pass.
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
  }
}
