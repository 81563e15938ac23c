import type { Socket } from 'node:net';
import type { GatewayEventSink } from './gateway-events';
import type { LeaseBinding } from './lease-binding';
import { ListenerPair } from './listener-pair';

/**
 * One lease's sockets: the listener pair and at most one device connection per port.
 * A further connection, or one from an address other than `peerAddress`, is closed at once.
 */
export class LeaseListeners {
  readonly pair: ListenerPair;
  private device: Socket | null = null;
  private rtcpPeer: Socket | null = null;

  constructor(
    readonly binding: LeaseBinding,
    host: string,
    private readonly events: () => GatewayEventSink,
  ) {
    this.pair = new ListenerPair(host, binding.rtpPort, binding.rtcpPort, (s, which) => this.accept(s, which));
  }

  open(): Promise<void> {
    return this.pair.open();
  }

  close(): Promise<void> {
    return this.pair.close();
  }

  get connected(): boolean {
    return this.device !== null;
  }

  private accept(socket: Socket, which: 'rtp' | 'rtcp'): void {
    socket.on('error', () => undefined);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const leaseId = this.binding.leaseId;
    const current = which === 'rtp' ? this.device : this.rtcpPeer;
    const wrongPeer = this.binding.peerAddress !== null && normalize(socket.remoteAddress) !== this.binding.peerAddress;
    if (current || wrongPeer) {
      socket.destroy();
      this.events().leaseEvent(leaseId, 'peer-rejected', { peer, port: socket.localPort, why: wrongPeer ? 'address-not-allowed' : 'already-connected' });
      return;
    }
    if (which === 'rtcp') {
      this.rtcpPeer = socket;
      socket.resume();
      socket.once('close', () => (this.rtcpPeer = null));
      return;
    }
    this.device = socket;
    this.events().leaseEvent(leaseId, 'peer-connected', { peer });
    this.events().leaseStateChanged(leaseId, 'streaming');
    socket.resume();
    socket.once('close', () => {
      this.device = null;
      this.events().leaseEvent(leaseId, 'peer-disconnected', { peer });
      if (this.pair.listening) this.events().leaseStateChanged(leaseId, 'listening');
    });
  }
}

/** "::ffff:192.0.2.10" → "192.0.2.10", so IPv4 peers match on a dual-stack listener. */
export function normalize(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
