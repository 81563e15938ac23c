import { Socket } from 'node:net';
import { LeaseForwarder, type ForwarderOptions } from './lease-forwarder';
import { DEFAULT_FORWARD_BATCH_MS, FORWARD_BATCH_BYTES, FORWARD_TICKER } from './forward-ticker';
import { PacketSlab } from './packet-slab';

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
 * form one contiguous range of the read's chunk, kept as one Buffer view. Socket 'data'
 * chunks are fresh buffers per read (this service sets no `onread` buffer), so a view may be
 * kept for a later write. Anything else (a packet that straddled reads and lives in the
 * deframer's reused buffer, or one with no prefix, e.g. from a UDP ingest) is copied once,
 * with its prefix, into a PacketSlab.
 *
 * The views are gathered in `queue` and written together (one write, or one writev) once they
 * are FORWARD_BATCH_BYTES or `batchMs` old (see forward-ticker.ts): a few writes a second per
 * lease instead of one per packet or read. While the connection opens or is down
 * the queue simply keeps them, and they go out first once it is up.
 */
export class TcpForwarder extends LeaseForwarder {
  private socket: Socket | null = null;
  private socketClosed: Promise<void> | null = null;
  private readonly slab = new PacketSlab();
  /** the range being gathered: rangeBuf[rangeStart..rangeEnd), rangePackets framed packets */
  private rangeBuf: Buffer | null = null;
  private rangeStart = 0;
  private rangeEnd = 0;
  private rangePackets = 0;
  /** views not yet handed to the socket, in order */
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private queuedPackets = 0;
  /** now() when the first view of the queue was gathered */
  private queuedSince = 0;
  private readonly batchMs: number;

  constructor(options: ForwarderOptions) {
    super(options);
    this.batchMs = options.batchMs ?? DEFAULT_FORWARD_BATCH_MS;
  }

  get localPort(): number | null {
    return this.socket?.localPort ?? null;
  }

  protected get queued(): number {
    return this.queuedBytes;
  }

  protected get backlog(): number {
    return this.socket === null || this.state !== 'up' ? 0 : this.socket.writableLength;
  }

  flush(now: number): void {
    this.endRange();
    const n = this.queuedBytes;
    if (n > 0 && (n >= FORWARD_BATCH_BYTES || now - this.queuedSince >= this.batchMs) && this.state === 'up') this.writeQueue();
  }

  tick(): boolean {
    if (this.closed) return false;
    const up = this.state === 'up';
    if (up && this.queuedBytes > 0 && this.now() - this.queuedSince >= this.batchMs) this.writeQueue();
    else this.account();
    // Still to look after: a batch to write later, or bytes the kernel has not taken yet.
    return up && (this.queuedBytes > 0 || this.backlog > 0);
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
    return this.queuedBytes > 0;
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
      if (this.socket !== socket) return;
      socket.setTimeout(0);
      socket.setKeepAlive(true, 10_000);
      this.opened();
      // What waited while the connection opened goes out first.
      if (this.queuedBytes > 0) this.writeQueue();
    });
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      // Whatever the dead socket still held is gone (it was counted as forwarded); the queue waits for a retry.
      this.failed(error ?? 'connection closed by the target');
      this.account();
    });
    socket.connect(port, host);
  }

  protected closeSocket(): Promise<void> {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.queuedPackets = 0;
    this.rangeBuf = null;
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    return this.socketClosed ?? Promise.resolve();
  }

  /** Extends the range when the bytes follow it in the same buffer, else queues it and starts a new one. */
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

  /** Queues the range gathered from one read, or drops it (counted) when the lease or the process has no room. */
  private endRange(): void {
    const buf = this.rangeBuf;
    if (buf === null) return;
    this.rangeBuf = null;
    const size = this.rangeEnd - this.rangeStart;
    if (!this.admit(size, this.rangePackets)) return;
    if (this.queuedBytes === 0) {
      this.queuedSince = this.now();
      // The shared timer writes the batch should no read come to carry it.
      if (this.state === 'up') FORWARD_TICKER.add(this);
    }
    this.queue.push(buf.subarray(this.rangeStart, this.rangeEnd));
    this.queuedBytes += size;
    this.queuedPackets += this.rangePackets;
    this.account();
  }

  /** Hands the queue to the socket in one write (one writev for several views). */
  private writeQueue(): void {
    const socket = this.socket!;
    const queue = this.queue;
    if (queue.length === 1) socket.write(queue[0]);
    else {
      socket.cork();
      for (let i = 0; i < queue.length; i++) socket.write(queue[i]);
      socket.uncork();
    }
    this.packets += this.queuedPackets;
    this.bytes += this.queuedBytes - 2 * this.queuedPackets;
    queue.length = 0;
    this.queuedBytes = 0;
    this.queuedPackets = 0;
    this.account();
    // A target that does not take everything: follow the backlog until the kernel has it.
    if (socket.writableLength > 0) FORWARD_TICKER.add(this);
  }
}
