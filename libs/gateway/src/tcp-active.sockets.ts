import { connect, type Socket } from 'node:net';
import type { LeaseMedia } from './lease-media';
import { SocketsViewMemo, type LeaseSocketsView, type MediaSockets } from './media-sockets';
import { RtpConnection } from './rtp-connection';
import type { DialStats } from './stream-stats';

/** GB/T 28181-2022 Annex D: the media receiver retries at least 3 times, at least 1 s apart. */
export const DIAL_SPACING_MS = 1000;
/** One attempt to a device that does not answer (SYN black-holed) gives up after this (ZLMediaKit: 5 s). */
export const DIAL_ATTEMPT_TIMEOUT_MS = 5000;
/** Failed attempts reported per lease (`dial-failed`); the rest are only counted. */
const MAX_REPORTED_DIAL_FAILURES = 16;

export interface TcpActiveOptions {
  host: string;
  noMediaTimeoutMs: number;
  spacingMs?: number;
  attemptTimeoutMs?: number;
}

/**
 * TCP-ACTIVE (GB28181 `a=setup:active`): the device listens and we connect to it, from
 * MEDIA_BIND_HOST:rtpPort (the port the SDP announced). libuv binds that local port with
 * SO_REUSEADDR, so a connection of an earlier lease of the pair still in TIME_WAIT does not
 * stop the dial (only a dial to the very same device address and port would clash with it).
 *
 * The service dials once it knows the device's address and port (the connect call, or
 * peerAddress + peerPort at allocation), again and again at least DIAL_SPACING_MS apart while
 * no connection stands: until the connect timeout ends the lease (counted from the connect
 * call, by LeaseMedia), and after the device closes a connection until the idle timeout does.
 * RTP only: no socket on rtcpPort (GB28181 tcp-active SDP offers one port; RTCP that the device
 * sends in-band on the connection is counted). The rtcpPort stays reserved as a number.
 */
export class TcpActiveSockets implements MediaSockets {
  private target: { address: string; port: number } | null = null;
  /** the attempt in flight (SYN_SENT) */
  private attempt: Socket | null = null;
  /** the established connection */
  private conn: RtpConnection | null = null;
  private retry: NodeJS.Timeout | null = null;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private opened = false;
  /** every socket not yet closed in the OS: close() awaits them */
  private readonly live = new Set<Socket>();
  private attempts = 0;
  private failures = 0;
  private lastError: string | null = null;
  private readonly spacingMs: number;
  private readonly attemptTimeoutMs: number;

  constructor(
    private readonly options: TcpActiveOptions,
    private readonly media: LeaseMedia,
  ) {
    this.spacingMs = options.spacingMs ?? DIAL_SPACING_MS;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DIAL_ATTEMPT_TIMEOUT_MS;
  }

  /** Binds nothing: the lease holds no socket until it dials. With a known device, dialling starts now. */
  open(): Promise<void> {
    this.opened = true;
    const b = this.media.binding;
    if (b.peerAddress !== null && b.peerPort !== null) this.connect(b.peerAddress, b.peerPort);
    return Promise.resolve();
  }

  /**
   * Dial the device at address:port (again). The same target while connected or dialling
   * changes nothing; another one replaces the current connection or attempt.
   */
  connect(address: string, port: number): void {
    if (this.closed) return;
    const same = this.target !== null && this.target.address === address && this.target.port === port;
    if (same && (this.conn !== null || this.attempt !== null || this.retry !== null)) return;
    this.target = { address, port };
    this.stopRetry();
    this.attempt?.destroy();
    this.conn?.drop('redirected');
    this.scheduleDial();
  }

  /** Cancels a pending retry, destroys the attempt in flight and the connection, and resolves once the OS closed them. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopRetry();
    const sockets = [...this.live];
    await Promise.all(
      sockets.map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : (s.once('close', () => resolve()), s.destroy())))),
    );
  }

  get connected(): boolean {
    return this.conn !== null;
  }

  get listening(): boolean {
    return this.opened && !this.closed;
  }

  disconnect(why: string): boolean {
    if (this.conn === null) return false;
    this.conn.drop(why);
    return true;
  }

  dropThen(why: string, fn: () => void): void {
    if (this.conn === null) return fn();
    this.conn.dropThen(why, fn);
  }

  view(): LeaseSocketsView {
    return this.shown.view(Number(this.attempt !== null), this.conn);
  }

  private readonly shown = new SocketsViewMemo((): LeaseSocketsView => {
    const b = this.media.binding;
    return {
      transport: 'tcp-active',
      tcpListening: [],
      udpBound: [],
      tcpConnections: this.conn ? [{ localPort: b.rtpPort, remote: this.conn.peer, dialled: true }] : [],
      dialling: this.attempt !== null,
    };
  });

  stats(): { dial: DialStats } {
    const t = this.target;
    const state = this.conn ? 'connected' : this.attempt ? 'connecting' : this.retry ? 'waiting' : 'idle';
    return {
      dial: { to: t && `${t.address}:${t.port}`, state, attempts: this.attempts, failures: this.failures, lastError: this.lastError },
    };
  }

  /** The next attempt, at least spacingMs after the last one began. */
  private scheduleDial(): void {
    if (this.closed || this.target === null || this.conn !== null || this.attempt !== null || this.retry !== null) return;
    const wait = Math.max(0, this.lastAttemptAt + this.spacingMs - this.media.now());
    this.retry = setTimeout(() => {
      this.retry = null;
      this.dial();
    }, wait);
  }

  private stopRetry(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  private dial(): void {
    const t = this.target;
    if (this.closed || t === null || this.conn !== null || this.attempt !== null) return;
    const b = this.media.binding;
    this.attempts++;
    this.lastAttemptAt = this.media.now();
    const socket = connect({ host: t.address, port: t.port, localAddress: this.options.host, localPort: b.rtpPort, noDelay: true });
    this.attempt = socket;
    this.live.add(socket);
    let error: string | null = null;
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.setTimeout(this.attemptTimeoutMs, () => {
      if (this.attempt !== socket) return;
      error = 'ETIMEDOUT';
      socket.destroy();
    });
    socket.once('connect', () => {
      if (this.attempt !== socket) return;
      this.attempt = null;
      socket.setTimeout(0);
      if (this.closed) return void socket.destroy();
      this.conn = new RtpConnection(socket, this.media, this.options.noMediaTimeoutMs, (conn) => {
        if (this.conn !== conn) return;
        this.conn = null;
        this.scheduleDial();
      });
    });
    socket.once('close', () => {
      this.live.delete(socket);
      if (this.attempt !== socket) return;
      // the attempt failed (refused, unreachable, timed out, or replaced by another target)
      this.attempt = null;
      this.failures++;
      this.lastError = error ?? 'closed';
      if (this.closed) return;
      if (this.failures <= MAX_REPORTED_DIAL_FAILURES)
        this.media.event('dial-failed', { to: `${t.address}:${t.port}`, from: b.rtpPort, attempt: this.attempts, error: this.lastError });
      this.scheduleDial();
    });
  }
}
