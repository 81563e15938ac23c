import { CLOCK_RATE, framesFor, type Capture } from './capture';
import type { DeviceLink } from './links/device-link';

export interface StreamTarget {
  host: string;
  port: number;
  leaseId?: string;
}

export interface StreamSettings {
  capture: Capture;
  /** realtime: paced from the RTP timestamps (times `speed`); flat: as fast as the link takes it */
  pace: 'realtime' | 'flat';
  speed: number;
  /** whole passes over the capture; 0 = until stopped */
  loops: number;
  /** rewrite the SSRC, or null to keep the capture's */
  ssrc: number | null;
  /** the frame header on TCP links (UDP sends bare packets whatever this says) */
  framing: 'rfc4571' | 'rfc2326';
  /** start this far into the capture (a frame index), so many streams do not burst together */
  startFrame: number;
}

const MAX_FRAMES_PER_WRITE = 64;
/** In real time, a link this far behind stops being fed until it drains. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * One simulated device: pushes the capture over its link (TCP-passive: it connects; TCP-active:
 * it is dialled; UDP: datagrams), looping with continued sequence numbers and timestamps. A
 * TCP-active device that is dialled again carries on where it stopped.
 */
export class DeviceStream {
  bytesSent = 0;
  finished = false;
  error: string | null = null;
  private loop = 0;
  private next: number;
  /** RTP packets handed to the link (frames; datagrams over UDP) */
  private sent = 0;
  private readonly limit: number;
  private startMs = 0;
  private waitingDrain = false;
  private resolveDone: () => void = () => undefined;
  readonly done: Promise<void>;

  constructor(
    readonly target: StreamTarget,
    private readonly s: StreamSettings,
    readonly link: DeviceLink,
  ) {
    this.next = s.startFrame % s.capture.frames;
    this.limit = s.loops > 0 ? s.loops * s.capture.frames : Infinity;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get connected(): boolean {
    return this.link.connected;
  }

  get packetsSent(): number {
    return this.sent;
  }

  /** Resolves when the link is up (TCP-passive: connected or failed; TCP-active: listening). */
  start(): Promise<void> {
    return this.link.start({
      ready: () => {
        this.waitingDrain = false;
        const c = this.s.capture;
        this.startMs = performance.now() - c.dueTicks[this.next] / (CLOCK_RATE / 1000) / this.s.speed;
        if (this.s.pace === 'flat') this.pump();
        else this.tick(performance.now());
      },
      drain: () => {
        this.waitingDrain = false;
        if (this.s.pace === 'flat') this.pump();
      },
      closed: (final, error) => {
        if (error) this.error ??= error;
        if (!final) return;
        if (!this.finished) {
          this.error ??= 'closed by the server';
          this.finished = true;
        }
        this.resolveDone();
      },
    });
  }

  /** Real time: sends every frame that is due by `nowMs`. */
  tick(nowMs: number): void {
    if (!this.link.connected || this.finished || this.waitingDrain) return;
    if (this.link.backlog > MAX_QUEUED_BYTES) {
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

  /** Flat out: writes until the link pushes back, then waits for 'drain'. */
  private pump(): void {
    const c = this.s.capture;
    while (!this.finished && this.link.connected && !this.waitingDrain) {
      const to = Math.min(c.frames, this.next + MAX_FRAMES_PER_WRITE, this.next + (this.limit - this.sent));
      if (!this.send(to)) this.waitingDrain = true;
    }
  }

  /** Writes frames [next, to) of the current loop; false when the link asks to wait. */
  private send(to: number): boolean {
    const c = this.s.capture;
    const framing = this.link.transport === 'udp' ? c.framing : this.s.framing;
    const buf = framesFor(c, this.next, to, this.loop, this.s.ssrc, framing);
    const header = framing === 'rfc2326' ? 4 : 2;
    // UDP carries the RTP packets without their frame headers.
    this.bytesSent += this.link.transport === 'udp' ? buf.length - (to - this.next) * header : buf.length;
    this.sent += to - this.next;
    this.next = to;
    if (this.next === c.frames) {
      this.next = 0;
      this.loop++;
    }
    const ok = this.link.send(buf, header);
    if (this.sent >= this.limit) this.finish();
    return ok;
  }

  /** The device stops sending: ends the link after what was sent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    // Every link reports its final close, which resolves `done`.
    this.link.finish();
  }
}
