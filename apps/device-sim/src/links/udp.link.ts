import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { DeviceLink, LinkEvents } from './device-link';

/**
 * Datagrams in flight (sent, callback not yet run) before `send` asks the caller to wait. UDP
 * has no flow control: flat out, this is what keeps a burst within a receive buffer.
 */
const MAX_IN_FLIGHT_BYTES = 256 * 1024;

/**
 * UDP: each RTP packet is one datagram to the lease's RTP port, sent from one local port for
 * the whole stream (the media host latches onto that source). The frame headers of the
 * capture are stripped; the packets are sent from the capture's bytes without copying.
 */
export class UdpLink implements DeviceLink {
  readonly transport = 'udp' as const;
  connected = false;
  backlog = 0;
  private socket: Socket | null = null;
  private events: LinkEvents | null = null;
  private waiting = false;
  private finished = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly localPort = 0,
  ) {}

  start(events: LinkEvents): Promise<void> {
    this.events = events;
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIP(this.host) === 6 ? 'udp6' : 'udp4');
      this.socket = socket;
      socket.once('error', reject);
      socket.bind(this.localPort, () => {
        socket.off('error', reject);
        // ICMP port-unreachable answers surface as errors on some sends: a device keeps sending.
        socket.on('error', () => undefined);
        this.connected = true;
        events.ready();
        resolve();
      });
    });
  }

  send(frames: Buffer, header: number): boolean {
    const socket = this.socket;
    if (!socket || this.finished) return true;
    for (let at = 0; at + header <= frames.length;) {
      const len = frames.readUInt16BE(at + header - 2);
      const packet = frames.subarray(at + header, at + header + len);
      at += header + len;
      this.backlog += len;
      socket.send(packet, this.port, this.host, () => this.sent(len));
    }
    if (this.backlog <= MAX_IN_FLIGHT_BYTES) return true;
    this.waiting = true;
    return false;
  }

  private sent(len: number): void {
    this.backlog -= len;
    if (this.waiting && this.backlog <= MAX_IN_FLIGHT_BYTES / 2) {
      this.waiting = false;
      this.events?.drain();
    }
    if (this.finished && this.backlog === 0) this.close();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.backlog === 0) this.close();
  }

  private close(): void {
    if (!this.socket) return;
    const socket = this.socket;
    this.socket = null;
    socket.close(() => {
      this.connected = false;
      this.events?.closed(true, null);
    });
  }
}
