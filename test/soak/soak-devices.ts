import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { framesFor, loadCapture, type Capture } from '../../apps/device-sim/src/capture';
import { sleep } from './soak-service';

const FIXTURES = join(__dirname, '..', 'fixtures', 'rtp');

let capture: Capture | null = null;
/** The ZLMediaKit capture (RFC 4571, PS over RTP), indexed by the device simulator's loader. */
export function soakCapture(): Capture {
  return (capture ??= loadCapture(join(FIXTURES, 'ok', 'zlm-tcp-ps-rtp.bin')));
}

let garbage: Buffer[] | null = null;
/**
 * Byte streams the service must close the connection on at once: the not-ok captures except
 * the truncated ones (a cut frame is only known when the device closes).
 */
export function garbageCases(): Buffer[] {
  return (garbage ??= readdirSync(join(FIXTURES, 'not-ok'))
    .filter((f) => f.endsWith('.bin') && !f.startsWith('truncated--'))
    .sort()
    .map((f) => readFileSync(join(FIXTURES, 'not-ok', f))));
}

/** What a soak behaviour does with a device, whatever its transport. */
export interface SoakDevice {
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  stream(ms: number): Promise<void>;
  write(bytes: Buffer): void;
  closedWithin(ms: number): Promise<boolean>;
  reset(): void;
  destroy(): void;
}

/** Sends the capture's frames [from, to) of `loop`; returns the frame and loop to go on from. */
function nextFrames(from: number, loop: number, count: number): { buf: Buffer; frame: number; loop: number; to: number } {
  const c = soakCapture();
  const to = Math.min(c.frames, from + count);
  const buf = framesFor(c, from, to, loop, null, 'rfc4571');
  return to === c.frames ? { buf, frame: 0, loop: loop + 1, to } : { buf, frame: to, loop, to };
}

/**
 * A light device: one TCP connection to a lease's port that replays the capture in small
 * paced bursts, sequence numbers and timestamps continuing loop after loop.
 */
export class LightDevice implements SoakDevice {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  isClosed = false;
  error: string | null = null;
  bytesSent = 0;
  private frame: number;
  private loop = 0;
  private streaming = false;

  /** A connection the device accepted (TCP-ACTIVE: the service dialled it). */
  static accepted(socket: Socket, startFrame: number): LightDevice {
    socket.setNoDelay(true);
    return new LightDevice(socket, startFrame);
  }

  private constructor(socket: Socket, startFrame: number) {
    this.socket = socket;
    this.frame = startFrame;
    this.closed = new Promise((r) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.streaming = false;
        r();
      }),
    );
    socket.on('error', (e: NodeJS.ErrnoException) => (this.error ??= e.code ?? e.message));
    socket.resume();
  }

  static connect(port: number, startFrame: number, timeoutMs = 5000): Promise<LightDevice> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new LightDevice(socket, startFrame));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`connect to ${port}: ${e.code ?? e.message}`));
      });
    });
  }

  /** Sends `framesPerBurst` frames every `intervalMs` for `ms`, or until the connection closes. */
  async stream(ms: number, framesPerBurst = 6, intervalMs = 40): Promise<void> {
    this.streaming = true;
    const until = Date.now() + ms;
    while (this.streaming && !this.isClosed && Date.now() < until) {
      if (this.socket.writableLength < 256 * 1024) {
        const { buf, frame, loop } = nextFrames(this.frame, this.loop, framesPerBurst);
        this.frame = frame;
        this.loop = loop;
        this.bytesSent += buf.length;
        this.socket.write(buf);
      }
      await sleep(intervalMs);
    }
    this.streaming = false;
  }

  write(bytes: Buffer): void {
    if (!this.isClosed) this.socket.write(bytes);
  }

  /** Resolves true when the peer (the service) closed the connection within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    if (this.isClosed) return true;
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.closed.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
    clearTimeout(timer);
    return r;
  }

  /** Vanishes abruptly: a TCP reset, no FIN. */
  reset(): void {
    this.streaming = false;
    if (!this.isClosed) this.socket.resetAndDestroy();
  }

  destroy(): void {
    this.streaming = false;
    if (!this.isClosed) this.socket.destroy();
  }
}

/**
 * A UDP device: datagrams (one RTP packet each, no frame header) from one local port to the
 * lease's RTP port. The service never closes anything on a UDP device: `closed` is its own end.
 */
export class UdpLightDevice implements SoakDevice {
  readonly closed: Promise<void>;
  isClosed = false;
  private streaming = false;
  private loop = 0;
  private markClosed: () => void = () => undefined;

  private constructor(
    private readonly socket: UdpSocket,
    private readonly port: number,
    private frame: number,
  ) {
    this.closed = new Promise((r) => (this.markClosed = r));
    socket.on('error', () => undefined);
  }

  static open(port: number, startFrame: number): Promise<UdpLightDevice> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve(new UdpLightDevice(socket, port, startFrame)));
    });
  }

  async stream(ms: number, framesPerBurst = 6, intervalMs = 40): Promise<void> {
    this.streaming = true;
    const until = Date.now() + ms;
    while (this.streaming && !this.isClosed && Date.now() < until) {
      const { buf, frame, loop } = nextFrames(this.frame, this.loop, framesPerBurst);
      this.frame = frame;
      this.loop = loop;
      this.write(buf);
      await sleep(intervalMs);
    }
    this.streaming = false;
  }

  /** Sends RFC 4571-framed bytes as one datagram per frame (anything else as one datagram). */
  write(bytes: Buffer): void {
    if (this.isClosed) return;
    for (let at = 0; at + 2 <= bytes.length;) {
      const len = bytes.readUInt16BE(at);
      if (len === 0 || at + 2 + len > bytes.length) {
        this.socket.send(bytes.subarray(at), this.port, '127.0.0.1');
        return;
      }
      this.socket.send(bytes.subarray(at + 2, at + 2 + len), this.port, '127.0.0.1');
      at += 2 + len;
    }
  }

  /** The service cannot close a UDP device; it only stops reading. */
  closedWithin(): Promise<boolean> {
    return Promise.resolve(false);
  }

  reset(): void {
    this.destroy();
  }

  destroy(): void {
    this.streaming = false;
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.close();
    this.markClosed();
  }
}

/**
 * A TCP-ACTIVE device: listens on an ephemeral loopback port and waits for the service to dial
 * it; each connection it accepts becomes a LightDevice. It keeps listening after a connection
 * ends (the service dials again until the lease's idle timeout), until `close`.
 */
export class ActiveDeviceServer {
  private readonly waiting: Array<(d: LightDevice) => void> = [];
  private readonly connections = new Set<LightDevice>();
  dials = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly startFrame: number,
  ) {
    server.on('connection', (socket) => {
      this.dials++;
      const d = LightDevice.accepted(socket, this.startFrame);
      this.connections.add(d);
      void d.closed.then(() => this.connections.delete(d));
      const w = this.waiting.shift();
      if (w) w(d);
    });
  }

  static listen(startFrame: number): Promise<ActiveDeviceServer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(new ActiveDeviceServer(server, typeof a === 'object' && a ? a.port : 0, startFrame));
      });
    });
  }

  /** The next connection the service dials, or an error after `ms`. */
  dialled(ms: number): Promise<LightDevice> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`not dialled within ${ms} ms`));
      }, ms);
      const take = (d: LightDevice) => {
        clearTimeout(timer);
        resolve(d);
      };
      this.waiting.push(take);
    });
  }

  close(): void {
    this.server.close();
    for (const d of this.connections) d.destroy();
  }
}

/** A TCP-ACTIVE device as behaviours see it: the dialled connection; `destroy` also stops listening. */
export class DialledDevice implements SoakDevice {
  constructor(
    private readonly server: ActiveDeviceServer,
    private readonly conn: LightDevice,
  ) {}

  get closed(): Promise<void> {
    return this.conn.closed;
  }

  get isClosed(): boolean {
    return this.conn.isClosed;
  }

  stream(ms: number): Promise<void> {
    return this.conn.stream(ms);
  }

  write(bytes: Buffer): void {
    this.conn.write(bytes);
  }

  closedWithin(ms: number): Promise<boolean> {
    return this.conn.closedWithin(ms);
  }

  reset(): void {
    this.conn.reset();
  }

  destroy(): void {
    this.conn.destroy();
    this.server.close();
  }
}
