import type { MediaTransport } from './lease-binding';
import type { LeaseStreamStats } from './stream-stats';

/**
 * Which OS sockets a lease holds right now, by transport (for the reconciler, through
 * MediaGateway.listeners()):
 * - tcp-passive: two TCP listeners (rtpPort, rtcpPort) and at most one accepted connection on each;
 * - udp: two UDP sockets bound on rtpPort and rtcpPort, nothing else;
 * - tcp-active: no socket before the connect call and between attempts; a socket in SYN_SENT
 *   on rtpPort while an attempt is in flight (`dialling`); one ESTABLISHED connection from
 *   rtpPort while connected. Never a listener, never anything on rtcpPort.
 */
export interface LeaseSocketsView {
  readonly transport: MediaTransport;
  /** local ports with a TCP listener open (tcp-passive) */
  readonly tcpListening: readonly number[];
  /** local ports with a UDP socket bound (udp) */
  readonly udpBound: readonly number[];
  /** TCP connections held: local port, the peer as "address:port", and whether this side dialled it */
  readonly tcpConnections: ReadonlyArray<{ readonly localPort: number; readonly remote: string; readonly dialled: boolean }>;
  /** tcp-active: a connection attempt is in flight from rtpPort */
  readonly dialling: boolean;
}

/**
 * A transport's last LeaseSocketsView, handed out again while the state it shows is the same
 * (flags and the connections held, by identity). The reconciler asks every lease for its view
 * twice a pass; 5,000 fresh views were megabytes of garbage per pass and its largest survivors
 * in the GC's young generation, while a lease's sockets rarely change between passes. Views are
 * read-only, so sharing one is safe.
 */
export class SocketsViewMemo {
  private last: LeaseSocketsView | null = null;
  private flags = 0;
  private held: [unknown, unknown] = [null, null];

  constructor(private readonly build: () => LeaseSocketsView) {}

  view(flags: number, a: unknown = null, b: unknown = null): LeaseSocketsView {
    if (this.last === null || flags !== this.flags || a !== this.held[0] || b !== this.held[1]) {
      this.last = this.build();
      this.flags = flags;
      this.held = [a, b];
    }
    return this.last;
  }
}

/** A transport adapter: the sockets of one lease, feeding the transport-independent LeaseMedia. */
export interface MediaSockets {
  /** binds what the transport binds (throws BindError with nothing left open) or starts dialling */
  open(): Promise<void>;
  /** closes every socket of the lease (listeners, bound sockets, connections, a dial in flight) and resolves once the OS closed them */
  close(): Promise<void>;
  /** a device feed is connected right now (udp: a source is latched) */
  readonly connected: boolean;
  /** the sockets the transport needs are in place (tcp-active: open, whether or not connected) */
  readonly listening: boolean;
  /** destroys the device connection(s); false when there were none (udp: always false) */
  disconnect(why: string): boolean;
  /** the idle timeout: drops the device connection (if any) and runs `fn` after its close, or at once */
  dropThen(why: string, fn: () => void): void;
  view(): LeaseSocketsView;
  /** the transport's own figures, merged into the lease's stats */
  stats(): Partial<LeaseStreamStats>;
}

/** A tcp-passive lease with both listeners open and no connection, as listeners() describes it. */
export function listeningPairView(rtpPort: number, rtcpPort: number): LeaseSocketsView {
  return { transport: 'tcp-passive', tcpListening: [rtpPort, rtcpPort], udpBound: [], tcpConnections: [], dialling: false };
}
