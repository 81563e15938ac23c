import { BatchUdpSocket } from '@app/udp-batch';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DeviceLink, LinkEvents } from './device-link';

/**
 * Bytes sent before `send` asks the caller to wait for the next turn of the event loop (flat
 * out). UDP has no flow control: this is what keeps a burst within a receive buffer, and lets
 * a receiver in the same process read between bursts. (Paced streams ignore the answer.)
 */
const MAX_BYTES_PER_TURN = 256 * 1024;
/** How soon a send the kernel had no room for (EAGAIN) is tried again. */
const RETRY_MS = 1;

/**
 * UDP: each RTP packet is one datagram to the lease's RTP port, sent from one local port for
 * the whole stream (the media host latches onto that source). The frame headers of the
 * capture are stripped by the native sender, which walks the frames and hands them to the
 * kernel with sendmmsg, 64 datagrams per system call, straight from the capture's bytes: no
 * Buffer, request or callback per datagram, so one simulator process can drive thousands of
 * real-time streams. ICMP port-unreachable answers make some sends fail (ECONNREFUSED): those
 * datagrams are skipped, and the device keeps sending, as a real one does.
 */
export class UdpLink implements DeviceLink {
  readonly transport = 'udp' as const;
  connected = false;
  /** bytes of frames accepted by `send` that the kernel has not taken yet */
  backlog = 0;
  private socket: BatchUdpSocket | null = null;
  private events: LinkEvents | null = null;
  /** frames the kernel had no room for: sent again from `at` */
  private readonly pending: { frames: Buffer; header: number; at: number }[] = [];
  private retry: NodeJS.Timeout | null = null;
  private sentThisTurn = 0;
  private turnEnds: NodeJS.Immediate | null = null;
  private waiting = false;
  private finished = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly localPort = 0,
  ) {}

  async start(events: LinkEvents): Promise<void> {
    this.events = events;
    const type = isIP(this.host) === 6 ? 'udp6' : 'udp4';
    const address = isIP(this.host) ? this.host : (await lookup(this.host, { family: type === 'udp6' ? 6 : 4 })).address;
    const socket = new BatchUdpSocket(type, null);
    try {
      await socket.bind(type === 'udp6' ? '::' : '0.0.0.0', this.localPort);
      socket.connect(address, this.port);
    } catch (err) {
      await socket.close();
      throw err;
    }
    this.socket = socket;
    this.connected = true;
    events.ready();
  }

  send(frames: Buffer, header: number): boolean {
    if (!this.socket || this.finished) return true;
    this.pending.push({ frames, header, at: 0 });
    this.backlog += frames.length;
    this.flush();
    this.sentThisTurn += frames.length;
    if (this.pending.length === 0 && this.sentThisTurn <= MAX_BYTES_PER_TURN) return true;
    this.waiting = true;
    this.turnEnds ??= setImmediate(() => this.nextTurn());
    return false;
  }

  /** Hands the kernel what is pending; what it has no room for is retried shortly. */
  private flush(): void {
    const socket = this.socket;
    if (!socket) return;
    while (this.pending.length > 0) {
      const p = this.pending[0];
      const at = socket.sendFramed(p.frames, p.header, p.at);
      this.backlog -= at - p.at;
      p.at = at;
      if (at < p.frames.length) {
        this.retry ??= setTimeout(() => {
          this.retry = null;
          this.flush();
          this.drained();
        }, RETRY_MS);
        return;
      }
      this.pending.shift();
    }
    if (this.finished) this.close();
  }

  private nextTurn(): void {
    this.turnEnds = null;
    this.sentThisTurn = 0;
    this.drained();
  }

  private drained(): void {
    if (!this.waiting || this.pending.length > 0) return;
    this.waiting = false;
    this.events?.drain();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.pending.length === 0) this.close();
  }

  private close(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    if (this.retry) clearTimeout(this.retry);
    if (this.turnEnds) clearImmediate(this.turnEnds);
    this.retry = this.turnEnds = null;
    void socket.close().then(() => {
      this.connected = false;
      this.events?.closed(true, null);
    });
  }
}
