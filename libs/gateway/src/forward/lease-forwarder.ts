import type { RtpPacketHook } from '@app/rtp';
import { FORWARD_RESERVE_BYTES, type ForwardBudget } from './forward-budget';
import type { ForwardChange, ForwardState, ForwardStats } from './forward-stats';
import { mediaStreamName, type ForwardTarget } from './forward-target';
import { FORWARD_TICKER, type TickedForwarder } from './forward-ticker';

export interface ForwarderOptions {
  target: ForwardTarget;
  /** the SSRC written into every forwarded packet; null: the first forwarded packet's own */
  ssrc: number | null;
  /** the lease's forward buffer: bytes held (gathered, waiting, or not yet taken by the kernel) beyond this are dropped */
  bufferBytes: number;
  /** the process-wide bound shared by every lease's forward (FORWARD_BUFFER_TOTAL_BYTES) */
  budget: ForwardBudget;
  /** TCP: packets are gathered and written once this old (FORWARD_BATCH_MS; default DEFAULT_FORWARD_BATCH_MS; 0: after every read) */
  batchMs?: number;
  /** the connection came up after being down, or went down; never called after close() */
  onChange?: (change: ForwardChange) => void;
  /** first retry delay; doubles up to maxRetryMs (default 250 ms, 5 s) */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** a connect that has not completed after this long fails (default 5 s) */
  connectTimeoutMs?: number;
  /** the ingest's clock (the `now` given to flush()); default Date.now */
  now?: () => number;
}

export const DEFAULT_FORWARD_BUFFER_BYTES = 4 * 1024 * 1024;
export const MIN_FORWARD_BUFFER_BYTES = 1024 * 1024;

/**
 * One lease's forward connection to a media server, fed with every RTP packet accepted into
 * the lease's stream (RtpIngest's packet hook) and `flush()`ed after each socket read.
 *
 * It never blocks the ingest: nothing here awaits the target. The connection is opened at the
 * first packet (media servers close connections that carry nothing); packets arriving while
 * it opens, or while it is down, wait. What the lease holds (`queued` here plus the socket's
 * `backlog`) is bounded twice: by `bufferBytes` for the lease and by the shared `budget` for the
 * process (see ForwardBudget for who the total refuses); beyond either, packets are dropped
 * and counted in `dropped`. A failed or dropped connection is retried with backoff (at most
 * `maxRetryMs` apart) while packets keep coming; the first packet after a quiet retry period
 * reconnects at once.
 *
 * The socket belongs to the lease: close() destroys it (also while it connects), gives the
 * lease's share of the budget back, and resolves once the socket is closed in the OS; after
 * close() nothing is opened again.
 */
export abstract class LeaseForwarder implements TickedForwarder {
  state: ForwardState = 'idle';
  packets = 0;
  bytes = 0;
  dropped = 0;
  lastError: string | null = null;
  /** changes the lease did not report as events (past its bound) */
  unreportedChanges = 0;
  /** the SSRC written into forwarded packets; set at the first packet when not given */
  ssrc: number | null;
  protected closed = false;
  protected readonly limit: number;
  protected readonly budget: ForwardBudget;
  protected readonly now: () => number;
  /** bytes this lease has added to `budget.held` (what it held at its last account()) */
  private charged = 0;
  private opens = 0;
  private retry: NodeJS.Timeout | null = null;
  private retryMs: number;
  /** a packet arrived while down: the next retry opens the connection */
  private wanted = false;
  /** a `down` was reported: the next `up` is reported too */
  private reportedDown = false;

  readonly onPacket: RtpPacketHook;

  constructor(protected readonly options: ForwarderOptions) {
    this.ssrc = options.ssrc;
    this.limit = options.bufferBytes;
    this.budget = options.budget;
    this.now = options.now ?? Date.now;
    this.retryMs = options.firstRetryMs ?? 250;
    // Declared with all four parameters: see the note on onFrame in libs/rtp's ingest.ts.
    this.onPacket = (buf, start, end, reused) => this.packet(buf, start, end, reused);
  }

  get to(): string {
    return this.options.target.url;
  }

  /** The kind of socket (for the reconciler's view) and its local port, when one is open. */
  abstract get localPort(): number | null;

  /** After each socket read of the ingest (`now`: its clock): writes the gathered packets once they are due. */
  abstract flush(now: number): void;

  /** The shared timer (ForwardTicker): see TickedForwarder. */
  abstract tick(): boolean;

  /** Bytes gathered here, not yet handed to the socket: the next write, or everything while connecting or down. */
  protected abstract get queued(): number;
  /** Bytes handed to the open socket that the kernel has not taken yet (0 without a socket). */
  protected abstract get backlog(): number;

  /** Takes one packet (see RtpPacketHook); must not keep `buf` when `reused`. */
  protected abstract send(buf: Buffer, start: number, end: number, reused: boolean): void;
  /** Starts opening the socket; calls opened() or failed() later, never synchronously. */
  protected abstract openSocket(): void;
  /** Destroys the socket (if any) and resolves once it is closed in the OS. */
  protected abstract closeSocket(): Promise<void>;

  stats(): ForwardStats {
    return {
      to: this.to,
      state: this.state,
      packets: this.packets,
      bytes: this.bytes,
      dropped: this.dropped,
      reconnects: Math.max(0, this.opens - 1),
      lastError: this.lastError,
      mediaStream: this.ssrc === null ? null : mediaStreamName(this.ssrc),
    };
  }

  /** Bytes this lease holds for forwarding right now (its share of the budget). */
  get held(): number {
    return this.charged;
  }

  /**
   * Closes the forward socket and awaits its close; no connection is opened afterwards, and the
   * lease's share of the budget is given back at once (whatever the socket still held dies with
   * it). Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    FORWARD_TICKER.remove(this);
    const closing = this.closeSocket();
    this.budget.held -= this.charged;
    this.charged = 0;
    await closing;
  }

  /**
   * Whether `size` more bytes (`packets` packets) fit: the lease's own bound, and, beyond its
   * reserve, the shared budget when the lease is backlogged (not up, or its socket holds bytes
   * the kernel did not take); see ForwardBudget. When they do not, the packets are counted as
   * dropped.
   */
  protected admit(size: number, packets: number): boolean {
    const backlog = this.backlog;
    const after = this.queued + backlog + size;
    if (after > this.limit || ((this.state !== 'up' || backlog > 0) && after > FORWARD_RESERVE_BYTES && !this.budget.hasRoom(size))) {
      this.dropped += packets;
      return false;
    }
    return true;
  }

  /** Brings the lease's share of the budget up to what it holds now; nothing once closed. */
  protected account(): void {
    if (this.closed) return;
    const held = this.queued + this.backlog;
    this.budget.held += held - this.charged;
    this.charged = held;
  }

  private packet(buf: Buffer, start: number, end: number, reused: boolean): void {
    if (this.closed) return;
    // SSRC: bytes 8..11 of the RTP header, big-endian.
    const at = start + 8;
    let ssrc = this.ssrc;
    if (ssrc === null) ssrc = this.ssrc = ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
    else if (((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0 !== ssrc) {
      buf[at] = ssrc >>> 24;
      buf[at + 1] = (ssrc >>> 16) & 0xff;
      buf[at + 2] = (ssrc >>> 8) & 0xff;
      buf[at + 3] = ssrc & 0xff;
    }
    const state = this.state;
    if (state !== 'up' && state !== 'connecting') this.wake();
    this.send(buf, start, end, reused);
  }

  /** idle, or down: open now unless a retry is already scheduled (then it will). */
  private wake(): void {
    if (this.state === 'idle' || this.retry === null) this.connect();
    else this.wanted = true;
  }

  private connect(): void {
    this.wanted = false;
    this.state = 'connecting';
    this.opens++;
    this.openSocket();
  }

  /** The socket is ready: subclasses write what waited before calling this. */
  protected opened(): void {
    if (this.closed) return;
    this.state = 'up';
    this.retryMs = this.options.firstRetryMs ?? 250;
    if (this.reportedDown) {
      this.reportedDown = false;
      this.options.onChange?.({ state: 'up', to: this.to, error: null, reconnects: Math.max(0, this.opens - 1) });
    }
  }

  /** The connect failed or the connection dropped: retry later while packets keep coming. */
  protected failed(error: string): void {
    if (this.closed) return;
    const was = this.state;
    this.state = 'down';
    this.lastError = error;
    if (was !== 'down' && !this.reportedDown) {
      this.reportedDown = true;
      this.options.onChange?.({ state: 'down', to: this.to, error, reconnects: Math.max(0, this.opens - 1) });
    }
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 5000);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed && (this.wanted || this.hasWaiting())) this.connect();
    }, delay).unref();
  }

  /** Packets wait to be written (a retry should open the connection for them). */
  protected abstract hasWaiting(): boolean;
}
