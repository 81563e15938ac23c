import { readFileSync, readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
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

/**
 * A light device: one TCP connection to a lease's port that replays the capture in small
 * paced bursts, sequence numbers and timestamps continuing loop after loop.
 */
export class LightDevice {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  isClosed = false;
  error: string | null = null;
  bytesSent = 0;
  private frame: number;
  private loop = 0;
  private streaming = false;

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
    const c = soakCapture();
    this.streaming = true;
    const until = Date.now() + ms;
    while (this.streaming && !this.isClosed && Date.now() < until) {
      if (this.socket.writableLength < 256 * 1024) {
        const to = Math.min(c.frames, this.frame + framesPerBurst);
        const buf = framesFor(c, this.frame, to, this.loop, null, 'rfc4571');
        this.frame = to;
        if (this.frame === c.frames) {
          this.frame = 0;
          this.loop++;
        }
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
