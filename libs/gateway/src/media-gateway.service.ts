import { Inject, Injectable, Logger } from '@nestjs/common';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.options';
import { NO_EVENTS, type GatewayEventSink } from './gateway-events';
import type { LeaseBinding } from './lease-binding';
import { LeaseListeners } from './lease-listeners';

export interface GatewayListenerView {
  leaseId: string;
  rtpPort: number;
  rtcpPort: number;
  listening: boolean;
  connected: boolean;
}

/**
 * Owns every TCP listener and device connection of this process. It never decides when a
 * lease ends: it opens and closes on request from the ledger's use cases, and reports what
 * happens on the sockets through the event sink.
 */
@Injectable()
export class MediaGateway {
  private readonly logger = new Logger(MediaGateway.name);
  private readonly leases = new Map<string, LeaseListeners>();
  /** opens in progress, so a close that arrives meanwhile waits for it */
  private readonly opening = new Map<string, Promise<void>>();
  private sink: GatewayEventSink = NO_EVENTS;

  constructor(@Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions) {}

  setEventSink(sink: GatewayEventSink): void {
    this.sink = sink;
  }

  /** Opens both listeners of a lease; throws BindError (with nothing left open) when either fails. */
  async open(binding: LeaseBinding): Promise<void> {
    if (this.leases.has(binding.leaseId)) return this.opening.get(binding.leaseId);
    const entry = new LeaseListeners(binding, this.options.bindHost, () => this.sink);
    this.leases.set(binding.leaseId, entry);
    const opened = entry.open();
    this.opening.set(binding.leaseId, opened);
    try {
      await opened;
    } catch (err) {
      this.leases.delete(binding.leaseId);
      throw err;
    } finally {
      this.opening.delete(binding.leaseId);
    }
  }

  /**
   * Stops accepting, destroys the lease's connections and resolves once every socket is
   * closed in the OS. Returns the lease's final stream statistics (null when none).
   */
  async close(leaseId: string): Promise<Record<string, unknown> | null> {
    await this.opening.get(leaseId)?.catch(() => undefined);
    const entry = this.leases.get(leaseId);
    if (!entry) return null;
    await entry.close();
    this.leases.delete(leaseId);
    return null;
  }

  /** Closes every lease's sockets (shutdown); the ledger keeps the leases for the next start. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.leases.keys()].map((id) => this.close(id)));
  }

  has(leaseId: string): boolean {
    return this.leases.has(leaseId);
  }

  isListening(leaseId: string): boolean {
    return this.leases.get(leaseId)?.pair.listening ?? false;
  }

  /** Live statistics of a lease's stream, or null when it has none. */
  stats(_leaseId: string): Record<string, unknown> | null {
    return null;
  }

  listeners(): GatewayListenerView[] {
    return [...this.leases.values()].map((e) => ({
      leaseId: e.binding.leaseId,
      rtpPort: e.binding.rtpPort,
      rtcpPort: e.binding.rtcpPort,
      listening: e.pair.listening,
      connected: e.connected,
    }));
  }

  get size(): number {
    return this.leases.size;
  }
}
