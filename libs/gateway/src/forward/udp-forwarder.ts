import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { LeaseForwarder, type ForwarderOptions } from './lease-forwarder';
import { PacketSlab } from './packet-slab';

/**
 * Forwards over UDP, one datagram per RTP packet, from one connected socket per lease (so
 * the target sees one source and ICMP errors come back as errors). The packet is sent from
 * where it lies in the socket read's chunk; a packet in the deframer's reused frame buffer is
 * copied into a PacketSlab first, since a send completes later.
 */
export class UdpForwarder extends LeaseForwarder {
  private socket: Socket | null = null;
  private socketClosed: Promise<void> | null = null;
  private readonly slab = new PacketSlab();
  private waiting: Buffer[] = [];
  private waitingBytes = 0;

  constructor(options: ForwarderOptions) {
    super(options);
  }

  get localPort(): number | null {
    try {
      return this.socket?.address().port ?? null;
    } catch {
      return null; // not bound yet
    }
  }

  flush(): void {
    // Each datagram is sent as it comes; there is nothing to gather.
  }

  protected send(buf: Buffer, start: number, end: number, reused: boolean): void {
    const length = end - start;
    if (reused) {
      const at = this.slab.reserve(length);
      buf.copy(this.slab.buf, at, start, end);
      buf = this.slab.buf;
      start = at;
    }
    const socket = this.socket;
    const up = this.state === 'up' && socket !== null;
    if ((up ? socket.getSendQueueSize() : 0) + this.waitingBytes + length > this.limit) {
      this.dropped++;
      return;
    }
    if (!up) {
      this.waiting.push(buf.subarray(start, start + length));
      this.waitingBytes += length;
      return;
    }
    socket.send(buf, start, length);
    this.packets++;
    this.bytes += length;
  }

  protected hasWaiting(): boolean {
    return this.waitingBytes > 0;
  }

  protected openSocket(): void {
    const { host, port } = this.options.target;
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.socket = socket;
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      this.socket = null;
      try {
        socket.close();
      } catch {
        // closed already
      }
      this.failed(err.code ? `${err.code}: ${err.message}` : err.message);
    });
    socket.connect(port, host, () => {
      if (this.socket !== socket) return;
      for (const datagram of this.waiting) socket.send(datagram);
      this.packets += this.waiting.length;
      this.bytes += this.waitingBytes;
      this.waiting = [];
      this.waitingBytes = 0;
      this.opened();
    });
  }

  protected async closeSocket(): Promise<void> {
    this.waiting = [];
    this.waitingBytes = 0;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      try {
        socket.close();
      } catch {
        // already closed after an error; its 'close' has been emitted
      }
    }
    await this.socketClosed;
  }
}
