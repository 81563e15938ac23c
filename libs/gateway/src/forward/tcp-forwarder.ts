import { Socket } from 'node:net';
import { LeaseForwarder, type ForwarderOptions } from './lease-forwarder';
import { PacketSlab } from './packet-slab';
import { FORWARD_WRITES, type BatchedWriter } from './write-batcher';

/**
 * Forwards over one TCP connection, each packet framed per RFC 4571 (2-byte big-endian
 * length, then the packet):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |             LENGTH            |  RTP packet (LENGTH bytes) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * No copy where the device's own framing can be reused: a packet that arrived RFC 4571-framed
 * inside one socket read already has its length in the two bytes before it (so has an RFC 2326
 * interleaved one: `$`, channel, then the same 2-byte length), and consecutive such packets
 * form one contiguous range of the read's chunk, written as one Buffer view. Socket 'data'
 * chunks are fresh buffers per read (this service sets no `onread` buffer), so a view may be
 * queued for a later write. Anything else (a packet that straddled reads and lives in the
 * deframer's reused buffer, or one with no prefix, e.g. from a UDP ingest) is copied once,
 * with its prefix, into a PacketSlab. Writes go into the corked socket and leave together,
 * one writev per FORWARD_BATCH_MS (WriteBatcher), not one syscall per packet.
 */
export class TcpForwarder extends LeaseForwarder implements BatchedWriter {
  private socket: Socket | null = null;
  private socketClosed: Promise<void> | null = null;
  private readonly slab = new PacketSlab();
  /** the range being gathered: rangeBuf[rangeStart..rangeEnd), rangePackets framed packets */
  private rangeBuf: Buffer | null = null;
  private rangeStart = 0;
  private rangeEnd = 0;
  private rangePackets = 0;
  /** waiting while the connection opens or is down */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private waitingPackets = 0;
  private corked = false;

  constructor(options: ForwarderOptions) {
    super(options);
  }

  get localPort(): number | null {
    return this.socket?.localPort ?? null;
  }

  /** Ends the read's range; its bytes leave with the next batch (see WriteBatcher). */
  flush(): void {
    this.endRange();
  }

  sendGathered(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket?.uncork();
  }

  protected send(buf: Buffer, start: number, end: number, reused: boolean): void {
    const length = end - start;
    if (!reused && start >= 2 && buf[start - 2] === length >>> 8 && buf[start - 1] === (length & 0xff)) {
      this.add(buf, start - 2, end);
      return;
    }
    const slab = this.slab;
    const at = slab.reserve(length + 2);
    const copy = slab.buf;
    copy[at] = length >>> 8;
    copy[at + 1] = length & 0xff;
    buf.copy(copy, at + 2, start, end);
    this.add(copy, at, at + length + 2);
  }

  protected hasWaiting(): boolean {
    return this.waitingBytes > 0;
  }

  protected openSocket(): void {
    const { host, port } = this.options.target;
    const socket = new Socket();
    this.socket = socket;
    let error: string | null = null;
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.setTimeout(this.options.connectTimeoutMs ?? 5000);
    socket.once('timeout', () => socket.destroy(new Error(`connect timed out after ${this.options.connectTimeoutMs ?? 5000} ms`)));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ? `${err.code}: ${err.message}` : err.message;
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 10_000);
      this.writeWaiting(socket);
      this.opened();
    });
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.corked = false;
      this.failed(error ?? 'connection closed by the target');
    });
    socket.connect(port, host);
  }

  protected async closeSocket(): Promise<void> {
    this.waiting = [];
    this.waitingBytes = 0;
    this.socket?.destroy();
    await this.socketClosed;
  }

  /** Extends the range when the bytes follow it in the same buffer, else writes it and starts a new one. */
  private add(buf: Buffer, from: number, to: number): void {
    if (buf === this.rangeBuf && from === this.rangeEnd) {
      this.rangeEnd = to;
      this.rangePackets++;
      return;
    }
    this.endRange();
    this.rangeBuf = buf;
    this.rangeStart = from;
    this.rangeEnd = to;
    this.rangePackets = 1;
  }

  private endRange(): void {
    const buf = this.rangeBuf;
    if (buf === null) return;
    this.rangeBuf = null;
    const size = this.rangeEnd - this.rangeStart;
    const packets = this.rangePackets;
    const socket = this.socket;
    const up = this.state === 'up' && socket !== null;
    if ((up ? socket.writableLength : 0) + this.waitingBytes + size > this.limit) {
      this.dropped += packets;
      return;
    }
    const view = buf.subarray(this.rangeStart, this.rangeEnd);
    if (!up) {
      this.waiting.push(view);
      this.waitingBytes += size;
      this.waitingPackets += packets;
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      FORWARD_WRITES.add(this);
    }
    socket.write(view);
    this.packets += packets;
    this.bytes += size - 2 * packets;
  }

  private writeWaiting(socket: Socket): void {
    const waiting = this.waiting;
    if (waiting.length === 0) return;
    socket.cork();
    for (const view of waiting) socket.write(view);
    socket.uncork();
    this.packets += this.waitingPackets;
    this.bytes += this.waitingBytes - 2 * this.waitingPackets;
    this.waiting = [];
    this.waitingBytes = 0;
    this.waitingPackets = 0;
  }
}
