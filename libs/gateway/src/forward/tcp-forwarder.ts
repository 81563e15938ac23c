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
 * The device's own framing is reused: a packet that arrived RFC 4571-framed inside one socket
 * read already has its length in the two bytes before it (so has an RFC 2326 interleaved one:
 * `$`, channel, then the same 2-byte length), and consecutive such packets form one contiguous
 * range of the read's chunk, copied with one copy per read into the lease's PacketSlab. A
 * packet that straddled reads (it lives in the deframer's reused buffer) or has no prefix
 * (e.g. from a UDP ingest) is copied there with a prefix written in front.
 *
 * Why copy at all: keeping views of the read chunks until the batch was written held every
 * chunk (a Buffer object and its own ArrayBuffer) across the young generation's collections,
 * so V8 promoted them and marked the old generation without pause: at 1,000 forwarded streams
 * concurrent marking took a quarter of the service's CPU samples. One copy per read into a slab
 * that is reused costs a memcpy; the chunks die young.
 *
 * A batch is one contiguous region of the slab (a full slab is queued as a view and another
 * started), written with one write once it is FORWARD_BATCH_BYTES or `batchMs` old (see
 * forward-ticker.ts): a few writes a second per lease instead of one per packet or read. When
 * the kernel took the whole write at once, nothing points into the slab any more and the next
 * batch reuses it from its start. When it did not (a target that reads slowly), full slabs are
 * retired and come back as spares once the kernel has taken every byte handed from them
 * (counted against the socket's `writableLength`): a lagging target makes the lease cycle a few
 * slabs, not allocate one per 64 KiB. That matters beyond this lease: V8 counts ArrayBuffer
 * memory and, while it keeps growing, marks the old generation again and again (at 1,000
 * forwarded streams on a saturated machine, concurrent marking took 38 % of the samples). While
 * the connection opens or is down the batch simply grows, and it goes out first once it is up.
 */
/** Slabs a lease keeps for reuse while its target lags (64 KiB each). */
const MAX_SPARE_SLABS = 2;

export class TcpForwarder extends LeaseForwarder {
  private socket: Socket | null = null;
  private socketClosed: Promise<void> | null = null;
  private readonly slab = new PacketSlab();
  /** the read's range being gathered: rangeBuf[rangeStart..rangeEnd), rangePackets framed packets */
  private rangeBuf: Buffer | null = null;
  private rangeStart = 0;
  private rangeEnd = 0;
  private rangePackets = 0;
  /** the batch's part in the current slab: slab.buf[regionStart..slab.used) */
  private regionStart = 0;
  /** the batch's parts in earlier, full slabs, in order */
  private readonly queue: Buffer[] = [];
  /** bytes handed to the current socket so far: with its writableLength, how far the kernel has taken them */
  private handed = 0;
  /** full slabs, oldest first; `end`: `handed` once their last byte was handed (-1: part still in the queue) */
  private readonly retired: Array<{ buf: Buffer; end: number }> = [];
  /** slabs nothing points into any more, for the next full slab */
  private readonly spare: Buffer[] = [];
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
    else {
      this.account();
      if (up) this.reclaim();
    }
    // Still to look after: a batch to write later, or bytes the kernel has not taken yet.
    return up && (this.queuedBytes > 0 || this.backlog > 0);
  }

  protected send(buf: Buffer, start: number, end: number, reused: boolean): void {
    const length = end - start;
    if (!reused && start >= 2 && buf[start - 2] === length >>> 8 && buf[start - 1] === (length & 0xff)) {
      if (buf === this.rangeBuf && start - 2 === this.rangeEnd) {
        this.rangeEnd = end;
        this.rangePackets++;
        return;
      }
      this.endRange();
      this.rangeBuf = buf;
      this.rangeStart = start - 2;
      this.rangeEnd = end;
      this.rangePackets = 1;
      return;
    }
    // What came before this packet goes into the batch first.
    this.endRange();
    if (!this.admit(length + 2, 1)) return;
    const at = this.reserve(length + 2);
    const copy = this.slab.buf;
    copy[at] = length >>> 8;
    copy[at + 1] = length & 0xff;
    buf.copy(copy, at + 2, start, end);
    this.gathered(length + 2, 1);
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
      // Closed: the writes it still held are gone, and with them every reference into the slabs
      // (only the batch still gathered, for the next connection, points into them).
      for (const r of this.retired) if (r.end > 0) r.end = 0;
      this.handed = 0;
      this.reclaim();
      // Whatever the dead socket still held is gone (it was counted as forwarded); the queue waits for a retry.
      this.failed(error ?? 'connection closed by the target');
      this.account();
    });
    socket.connect(port, host);
  }

  protected closeSocket(): Promise<void> {
    this.queue.length = 0;
    this.regionStart = this.slab.used;
    this.queuedBytes = 0;
    this.queuedPackets = 0;
    this.rangeBuf = null;
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    return this.socketClosed ?? Promise.resolve();
  }

  /** Copies the range gathered from one read into the batch, or drops it (counted) when the lease or the process has no room. */
  private endRange(): void {
    const buf = this.rangeBuf;
    if (buf === null) return;
    this.rangeBuf = null;
    const size = this.rangeEnd - this.rangeStart;
    if (!this.admit(size, this.rangePackets)) return;
    const at = this.reserve(size);
    buf.copy(this.slab.buf, at, this.rangeStart, this.rangeEnd);
    this.gathered(size, this.rangePackets);
  }

  /** `n` bytes at the batch's end in the slab; when the slab is full, its part of the batch is queued and a fresh slab started. */
  private reserve(n: number): number {
    const before = this.slab.buf;
    const used = this.slab.used;
    const at = this.slab.reserve(n, this.spare);
    if (this.slab.buf !== before) {
      const queued = used > this.regionStart;
      if (queued) this.queue.push(before.subarray(this.regionStart, used));
      if (before.length > 0) this.retired.push({ buf: before, end: queued ? -1 : this.handed });
      this.regionStart = at;
    }
    return at;
  }

  /** `size` bytes (`packets` packets) joined the batch. */
  private gathered(size: number, packets: number): void {
    if (this.queuedBytes === 0) {
      this.queuedSince = this.now();
      // The shared timer writes the batch should no read come to carry it.
      if (this.state === 'up') FORWARD_TICKER.add(this);
    }
    this.queuedBytes += size;
    this.queuedPackets += packets;
    this.account();
  }

  /** Hands the batch to the socket in one write (one writev when it spans slabs). */
  private writeQueue(): void {
    const socket = this.socket!;
    const queue = this.queue;
    const region = this.slab.buf.subarray(this.regionStart, this.slab.used);
    if (queue.length === 0) socket.write(region);
    else {
      socket.cork();
      for (let i = 0; i < queue.length; i++) socket.write(queue[i]);
      if (region.length > 0) socket.write(region);
      socket.uncork();
    }
    this.packets += this.queuedPackets;
    this.bytes += this.queuedBytes - 2 * this.queuedPackets;
    queue.length = 0;
    this.regionStart = this.slab.used;
    this.handed += this.queuedBytes;
    for (const r of this.retired) if (r.end < 0) r.end = this.handed;
    this.queuedBytes = 0;
    this.queuedPackets = 0;
    this.account();
    // The kernel took it all at once (Node completes such a write before write() returns):
    // nothing points into the slabs, the next batch reuses them. Otherwise follow the backlog.
    this.reclaim();
    if (socket.writableLength > 0) FORWARD_TICKER.add(this);
  }

  /**
   * Gives back what the kernel has taken: retired slabs whose every handed byte it took become
   * spares (two kept; a third is left to the GC), and the current slab starts over when no batch
   * is gathered in it and the socket holds nothing.
   */
  private reclaim(): void {
    const taken = this.handed - (this.socket?.writableLength ?? 0);
    const retired = this.retired;
    while (retired.length > 0 && retired[0].end >= 0 && retired[0].end <= taken) {
      const { buf } = retired.shift()!;
      if (this.spare.length < MAX_SPARE_SLABS) this.spare.push(buf);
    }
    if (this.queuedBytes === 0 && taken === this.handed) {
      this.slab.rewind();
      this.regionStart = 0;
    }
  }
}
