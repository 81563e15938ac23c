import { Injectable, OnApplicationShutdown } from '@nestjs/common';

// setTimeout takes at most 2^31-1 ms (~24.8 days); longer waits re-arm.
const MAX_DELAY = 2 ** 31 - 1;

/** One timer per lease for its expiry; the sweeper catches anything a timer missed. */
@Injectable()
export class ExpiryTimers implements OnApplicationShutdown {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  schedule(leaseId: string, at: number, now: number, fire: () => void): void {
    this.cancel(leaseId);
    const delay = at - now;
    const t = setTimeout(
      () => {
        this.timers.delete(leaseId);
        if (delay > MAX_DELAY) this.schedule(leaseId, at, now + MAX_DELAY, fire);
        else fire();
      },
      Math.max(0, Math.min(delay, MAX_DELAY)),
    );
    t.unref();
    this.timers.set(leaseId, t);
  }

  cancel(leaseId: string): void {
    const t = this.timers.get(leaseId);
    if (t) clearTimeout(t);
    this.timers.delete(leaseId);
  }

  get size(): number {
    return this.timers.size;
  }

  onApplicationShutdown(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
