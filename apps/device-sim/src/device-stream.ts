import { connect, type Socket } from 'node:net';
import { CLOCK_RATE, framesFor, type Capture } from './capture';

export interface StreamTarget {
  host: string;
  port: number;
  leaseId?: string;
}

export interface StreamSettings {
  capture: Capture;
  /** realtime: paced from the RTP timestamps (times `speed`); flat: as fast as the socket takes it */
  pace: 'realtime' | 'flat';
  speed: number;
  /** whole passes over the capture; 0 = until stopped */
  loops: number;
  /** rewrite the SSRC, or null to keep the capture's */
  ssrc: number | null;
  framing: 'rfc4571' | 'rfc2326';
  /** start this far into the capture (a frame index), so many streams do not burst together */
  startFrame: number;
}

const MAX_FRAMES_PER_WRITE = 64;
/** In real time, a socket this far behind stops being fed until it drains. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * One simulated device: connects to the lease's RTP port (TCP-passive: the device connects)
 * and pushes the capture, looping with continued sequence numbers and timestamps.
 */
export class DeviceStream {
  bytesSent = 0;
  connected = false;
  finished = false;
  error: string | null = null;
  private socket: Socket | null = null;
  private loop = 0;
  private next: number;
  private sent = 0;
  private readonly limit: number;
  private startMs = 0;
  private waitingDrain = false;
  private resolveDone: () => void = () => undefined;
  readonly done: Promise<void>;

  constructor(
    readonly target: StreamTarget,
    private readonly s: StreamSettings,
  ) {
    this.next = s.startFrame % s.capture.frames;
    this.limit = s.loops > 0 ? s.loops * s.capture.frames : Infinity;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.target.host, port: this.target.port, noDelay: true });
      this.socket = socket;
      socket.once('connect', () => {
        this.connected = true;
        const c = this.s.capture;
        this.startMs = performance.now() - c.dueTicks[this.next] / (CLOCK_RATE / 1000) / this.s.speed;
        if (this.s.pace === 'flat') this.pump();
        else this.tick(performance.now());
        resolve();
      });
      socket.on('drain', () => {
        this.waitingDrain = false;
        if (this.s.pace === 'flat') this.pump();
      });
      socket.on('error', (err) => {
        this.error ??= (err as NodeJS.ErrnoException).code ?? err.message;
      });
      socket.once('close', () => {
        this.connected = false;
        if (!this.finished) {
          this.error ??= 'closed by the server';
          this.finished = true;
        }
        this.resolveDone();
        resolve();
      });
      // The service sends nothing on the RTP port; read and discard anything it might.
      socket.resume();
    });
  }

  /** Real time: sends every frame that is due by `nowMs`. */
  tick(nowMs: number): void {
    const socket = this.socket;
    if (!this.connected || this.finished || !socket || this.waitingDrain) return;
    if (socket.writableLength > MAX_QUEUED_BYTES) {
      this.waitingDrain = true;
      return;
    }
    const c = this.s.capture;
    const elapsedTicks = (nowMs - this.startMs) * (CLOCK_RATE / 1000) * this.s.speed;
    while (!this.finished && this.loop * c.loopTicks + c.dueTicks[this.next] <= elapsedTicks) {
      let to = this.next + 1;
      const cap = Math.min(c.frames, this.next + MAX_FRAMES_PER_WRITE, this.next + (this.limit - this.sent));
      while (to < cap && this.loop * c.loopTicks + c.dueTicks[to] <= elapsedTicks) to++;
      this.send(to);
    }
  }

  /** Flat out: writes until the socket pushes back, then waits for 'drain'. */
  private pump(): void {
    const c = this.s.capture;
    const socket = this.socket!;
    while (!this.finished && this.connected) {
      const to = Math.min(c.frames, this.next + MAX_FRAMES_PER_WRITE, this.next + (this.limit - this.sent));
      if (!this.send(to)) {
        this.waitingDrain = true;
        return;
      }
      if (socket.writableLength > 0 && this.waitingDrain) return;
    }
  }

  /** Writes frames [next, to) of the current loop; false when the socket asks to wait. */
  private send(to: number): boolean {
    const c = this.s.capture;
    const buf = framesFor(c, this.next, to, this.loop, this.s.ssrc, this.s.framing);
    this.sent += to - this.next;
    this.bytesSent += buf.length;
    this.next = to;
    if (this.next === c.frames) {
      this.next = 0;
      this.loop++;
    }
    const ok = this.socket!.write(buf);
    if (this.sent >= this.limit) this.finish();
    return ok;
  }

  /** Ends the connection after what was written (the device stops sending). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.socket && !this.socket.destroyed) this.socket.end();
    else this.resolveDone();
  }
}
