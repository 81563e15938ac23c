import { LeaseEndingError, MediaGateway } from '@app/gateway';
import type { Lease } from '@app/ledger';
import { Injectable } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { toBinding } from '../domain/lease-binding.mapper';
import { ExpiryScheduler } from '../expiry/expiry-scheduler';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
import { ListenTrouble } from './listen-trouble';

/**
 * Boot's re-open of one active lease whose sockets died with the last process (the resume
 * pass, and its retries): listen → mark `listening` with `resumed-after-restart` → arm its TTL.
 */
@Injectable()
export class LeaseReopener {
  constructor(
    private readonly writer: LeaseTransitionWriter,
    private readonly gateway: MediaGateway,
    private readonly expiry: ExpiryScheduler,
    private readonly trouble: ListenTrouble,
    private readonly clock: Clock,
  ) {}

  /** True once listening again; false when the lease ended meanwhile (nothing left open). Throws open()'s error. */
  async reopen(lease: Lease): Promise<boolean> {
    try {
      await this.gateway.open(toBinding(lease));
    } catch (err) {
      // its release began: the release routine owns it
      if (err instanceof LeaseEndingError) return false;
      throw err;
    }
    this.trouble.succeeded();
    // reserved (crashed before listen) and streaming (the device's socket died with us) both resume as listening
    const resumed = await this.writer.apply(lease, { kind: 'resumed' }, this.clock.now());
    if (!resumed) {
      // ended while we opened: no listener outlives it
      await this.gateway.close(lease.id);
      return false;
    }
    this.expiry.arm(lease);
    return true;
  }
}
