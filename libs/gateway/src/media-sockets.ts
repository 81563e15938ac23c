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
  transport: MediaTransport;
  /** local ports with a TCP listener open (tcp-passive) */
  tcpListening: number[];
  /** local ports with a UDP socket bound (udp) */
  udpBound: number[];
  /** TCP connections held: local port, the peer as "address:port", and whether this side dialled it */
  tcpConnections: { localPort: number; remote: string; dialled: boolean }[];
  /** tcp-active: a connection attempt is in flight from rtpPort */
  dialling: boolean;
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
