import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { FORWARD_TICKER } from './forward-ticker';
import { LeaseForwarder, type ForwarderOptions } from './lease-forwarder';
import { PacketSlab } from './packet-slab';

/**
 * Forwards over UDP, one datagram per RTP packet, from one connected socket per lease (so
 * the target sees one source and ICMP errors come back as errors). The packet is sent from
 * where it lies in the socket read's chunk; a packet in the deframer's reused frame buffer is
 * copied into a PacketSlab first, since a send completes later. Nothing is batched: each
 * datagram is one send.
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

  protected get queued(): number {
    return this.waitingBytes;
  }

  protected get backlog(): number {
    return this.socket === null || this.state !== 'up' ? 0 : this.socket.getSendQueueSize();
  }

  flush(): void {
    // Each datagram is sent as it comes; there is nothing to gather.
  }

  tick(): boolean {
    if (this.closed) return false;
    this.account();
    return this.backlog > 0;
  }

  protected send(buf: Buffer, start: number, end: number, reused: boolean): void {
    const length = end - start;
    if (!this.admit(length, 1)) return;
    if (reused) {
      const at = this.slab.reserve(length);
      buf.copy(this.slab.buf, at, start, end);
      buf = this.slab.buf;
      start = at;
    }
    const socket = this.socket;
    if (socket === null || this.state !== 'up') {
      this.waiting.push(buf.subarray(start, start + length));
      this.waitingBytes += length;
      this.account();
      return;
    }
    socket.send(buf, start, length);
    this.packets++;
    this.bytes += length;
    // A send the kernel did not take at once waits in the socket: follow it until it has.
    if (socket.getSendQueueSize() > 0) {
      this.account();
      FORWARD_TICKER.add(this);
    }
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
      this.account();
    });
    socket.connect(port, host, () => {
      if (this.socket !== socket) return;
      for (const datagram of this.waiting) socket.send(datagram);
      this.packets += this.waiting.length;
      this.bytes += this.waitingBytes;
      this.waiting = [];
      this.waitingBytes = 0;
      this.opened();
      this.account();
      if (socket.getSendQueueSize() > 0) FORWARD_TICKER.add(this);
    });
  }

  protected closeSocket(): Promise<void> {
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
    return this.socketClosed ?? Promise.resolve();
  }
}
