import { MediaGateway, type LeaseStreamStats } from '@app/gateway';
import { Injectable } from '@nestjs/common';

/**
 * What the media side holds right now, read-only, for health checks and metrics: entry points
 * read the gateway through leasing (docs/ARCHITECTURE.md#layers) and can never open or close
 * a socket themselves.
 */
@Injectable()
export class MediaView {
  constructor(private readonly gateway: MediaGateway) {}

  /** leases whose listener pair is open in this process */
  get openLeases(): number {
    return this.gateway.size;
  }

  /** leases with a device connected right now */
  connectedLeases(): number {
    let n = 0;
    for (const l of this.gateway.listeners()) if (l.connected) n++;
    return n;
  }

  /** bytes held for forwarding by every lease's forward, now (FORWARD_BUFFER_TOTAL_BYTES bounds them) */
  get forwardBufferedBytes(): number {
    return this.gateway.forwardBufferedBytes;
  }

  isListening(leaseId: string): boolean {
    return this.gateway.isListening(leaseId);
  }

  /** the live statistics of every lease open here */
  *liveStats(): Iterable<LeaseStreamStats> {
    for (const l of this.gateway.listeners()) {
      const s = this.gateway.stats(l.leaseId);
      if (s) yield s;
    }
  }
}
