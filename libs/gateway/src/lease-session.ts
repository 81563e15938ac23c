import { canonicalSsrc, RtcpCounters, RtpIngest, StreamDeframer, isRtcp, type DeframeError, type FrameHandler } from '@app/rtp';
import type { Socket } from 'node:net';
import { ConnectionReports } from './connection-reports';
import type { GatewayEventSink, GatewayTimeout } from './gateway-events';
import type { LeaseBinding } from './lease-binding';
import { ListenerPair } from './listener-pair';
import { normalizeAddress } from './peer-address';
import { PsFanout, type PsSubscriber } from './ps-fanout';
import { PsRecorder, type RecorderOptions, type RecordingStopped } from './ps-recorder';
import { CarriedTotals, isoOrNull, readIngest, round, type LeaseStreamStats } from './stream-stats';

export interface SessionOptions {
  host: string;
  /** a live-pull client further behind than this is dropped */
  liveMaxBacklogBytes: number;
  /** an RTP connection without an accepted packet this long after it was accepted is closed */
  noMediaTimeoutMs: number;
  /** RECORD_DIR and RECORD_MAX_BYTES for the recorder */
  recording?: Pick<RecorderOptions, 'root' | 'maxBytes'>;
  events: () => GatewayEventSink;
  now?: () => number;
}

/** Foreign SSRCs reported per lease (one `ssrc-mismatch` event each); bounds a peer inventing SSRCs. */
const MAX_REPORTED_SSRCS = 16;
/** Rejected connections reported per lease (`peer-rejected`); the rest are only counted. */
const MAX_REPORTED_REJECTIONS = 16;
/** Stream errors reported per lease (`stream-error`, either port); the rest are only counted. */
const MAX_REPORTED_STREAM_ERRORS = 16;

/**
 * One lease's media side: its listener pair, at most one device connection per port, the
 * receive pipeline of the current RTP connection (libs/rtp's RtpIngest), the statistics that
 * carry on across reconnects, the live-pull fan-out, the recorder, and the connect and idle
 * timers. It never ends the lease itself: timeouts are reported to the sink, whose release
 * routine calls the gateway's close().
 *
 * Only accepted media counts: the lease turns `streaming` at a connection's first accepted RTP
 * packet (and back to `listening` when that connection closes), the connect timeout is met
 * only by such a packet, and the idle clock starts at the first one and is reset by each one.
 * A connection is not a sign of life: one that delivers no accepted packet within
 * `noMediaTimeoutMs` is closed (`no-media`), so a silent or foreign-SSRC peer can neither hold
 * the device's place nor keep an abandoned lease alive by reconnecting. The idle clock keeps
 * running while no device is connected, so a device that vanished frees the port
 * `idleTimeoutS` after its last packet, unless it reconnects and streams in time.
 *
 * Anyone who reaches the ports can connect in a loop, so every event it writes is capped per
 * lease (ConnectionReports for the connection events, MAX_REPORTED_* for the others): whatever
 * arrives on the media side, a lease gets a bounded number of events; the stats count everything.
 */
export class LeaseSession {
  readonly pair: ListenerPair;
  readonly fanout: PsFanout;
  /** set once the listeners are open, so a failed bind leaves no file behind */
  recorder: PsRecorder | null = null;
  private device: Socket | null = null;
  private ingest: RtpIngest | null = null;
  private deviceWhy = 'peer-closed';
  private rtcpPeer: Socket | null = null;
  private readonly rtcp = new RtcpCounters();
  private readonly carried = new CarriedTotals();
  private readonly reportedSsrcs = new Set<number>();
  private connections = 0;
  /** which connections get events; counts the others */
  private readonly reports = new ConnectionReports();
  private rejected = 0;
  private streamErrors = 0;
  private peer: string | null = null;
  /** the lease's peerAddress in normalizeAddress form, so it compares with remoteAddress */
  private readonly allowedPeer: string | null;
  private connectedAt: number | null = null;
  private lastPacketAt: number | null = null;
  /** last sign of life for the idle timer: an accepted packet */
  private lastActivity = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closing: Promise<LeaseStreamStats> | null = null;
  private readonly now: () => number;
  private readonly acceptSsrc = (ssrc: number): boolean => this.checkSsrc(ssrc);

  constructor(
    readonly binding: LeaseBinding,
    private readonly options: SessionOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.allowedPeer = binding.peerAddress === null ? null : normalizeAddress(binding.peerAddress);
    this.pair = new ListenerPair(options.host, binding.rtpPort, binding.rtcpPort, (s, which) =>
      which === 'rtp' ? this.acceptDevice(s) : this.acceptRtcp(s),
    );
    this.fanout = new PsFanout(options.liveMaxBacklogBytes, this.now);
  }

  async open(): Promise<void> {
    await this.pair.open();
    if (this.binding.recordPath) this.recorder = this.newRecorder(this.binding.recordPath);
    if (this.binding.connectTimeoutS > 0 && this.connections === 0) {
      this.connectTimer = this.every(this.binding.connectTimeoutS * 1000, () => this.timedOut('connect-timeout'));
    }
  }

  /** A recording that stops on its own (full, failing or stalled disk) says so in the lease's events. */
  private newRecorder(path: string): PsRecorder {
    const onStopped = (s: RecordingStopped) => this.options.events().leaseEvent(this.binding.leaseId, 'recording-stopped', { ...s });
    return new PsRecorder(path, { ...this.options.recording, onStopped });
  }

  get connected(): boolean {
    return this.device !== null;
  }

  get isClosing(): boolean {
    return this.closing !== null;
  }

  /**
   * Closes the listeners and every socket and awaits their close in the OS, then completes
   * the recording and ends the live pulls. Resolves with the final statistics. Idempotent.
   */
  close(): Promise<LeaseStreamStats> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Destroys the current device connections (RTP and RTCP port); false when there were none. */
  disconnect(why: string): boolean {
    const had = this.device !== null || this.rtcpPeer !== null;
    if (this.device) {
      this.deviceWhy = why;
      this.device.destroy();
    }
    this.rtcpPeer?.destroy();
    return had;
  }

  /** Adds a live-pull client; returns its unsubscribe function, or null once the lease is closing. */
  subscribe(sub: PsSubscriber): (() => void) | null {
    if (this.closing) return null;
    return this.fanout.add(sub);
  }

  stats(): LeaseStreamStats {
    const c = this.carried;
    const ing = this.ingest;
    const cur = ing ? readIngest(ing) : null;
    const probe = ing?.probe ?? null;
    const primary = ing?.primarySsrc ?? c.ssrc;
    return {
      peer: this.peer,
      connectedAt: isoOrNull(this.connectedAt),
      connected: this.device !== null,
      packets: c.packets + (cur?.packets ?? 0),
      bytes: c.bytes + (cur?.bytes ?? 0),
      bitrateKbps: cur ? round(cur.bitrateBps / 1000, 1) : 0,
      lost: c.lost + (cur?.lost ?? 0),
      reordered: c.reordered + (cur?.reordered ?? 0),
      duplicates: c.duplicates + (cur?.duplicates ?? 0),
      jitterMs: cur && cur.packets > 0 ? cur.jitterMs : c.jitterMs,
      ssrcSeen: primary === null ? null : canonicalSsrc(primary),
      droppedForeignSsrc: c.dropped + (ing?.rejectedPackets ?? 0),
      framing: ing?.framing ?? c.framing,
      payloadType: cur?.payloadType ?? c.payloadType,
      codec: { video: probe?.videoCodec ?? c.video, audio: probe?.audioCodec ?? c.audio },
      psBytes: c.psBytes + (probe?.bytes ?? 0),
      keyframes: c.keyframes + (probe?.keyframes ?? 0),
      rtcpPackets: this.rtcp.packets + c.rtcpPackets + (ing?.rtcp.packets ?? 0),
      connections: this.connections,
      reconnects: Math.max(0, this.connections - 1),
      noMediaConnections: this.reports.noMedia,
      unreportedConnections: this.reports.unreported,
      rejectedConnections: this.rejected,
      streamErrors: this.streamErrors,
      lastPacketAt: isoOrNull(this.lastPacketAt),
      liveClients: this.fanout.size,
      recording: this.recorder && this.recorder.summary(),
    };
  }

  private async shutdown(): Promise<LeaseStreamStats> {
    this.clearTimers();
    this.deviceWhy = 'lease-closed';
    await this.pair.close();
    // Normally done by the socket's 'close' handler already; folding twice is prevented there.
    this.endConnection();
    await this.recorder?.close();
    this.fanout.endAll('lease-ended');
    return this.stats();
  }

  private acceptDevice(socket: Socket): void {
    const peer = `${normalize(socket.remoteAddress)}:${socket.remotePort}`;
    if (this.reject(socket, peer, this.device !== null)) return;
    socket.setKeepAlive(true, 10_000);
    const events = this.options.events();
    const leaseId = this.binding.leaseId;
    const ingest = new RtpIngest({ acceptSsrc: this.acceptSsrc });
    if (this.recorder) ingest.addSink(this.recorder);
    ingest.addSink(this.fanout);
    if (this.connections > 0) this.fanout.discontinuity();
    this.connections++;
    this.device = socket;
    this.ingest = ingest;
    this.deviceWhy = 'peer-closed';
    this.peer = peer;
    this.connectedAt = this.now();
    const connected = { peer, port: this.binding.rtpPort, connection: this.connections };
    let reported = this.reports.reportAtAccept();
    if (reported) events.leaseEvent(leaseId, 'peer-connected', connected);

    let streaming = false;
    const noMedia = setTimeout(() => {
      if (this.device !== socket) return;
      this.deviceWhy = 'no-media';
      socket.destroy();
    }, this.options.noMediaTimeoutMs).unref();
    socket.on('data', (chunk: Buffer) => {
      const now = this.now();
      const before = ingest.rtpPackets - ingest.rejectedPackets;
      const err = ingest.push(chunk, now);
      this.fanout.flushIfFull(now);
      if (ingest.rtpPackets - ingest.rejectedPackets !== before) {
        this.lastActivity = now;
        this.lastPacketAt = now;
        if (!streaming) {
          streaming = true;
          this.mediaStarted(noMedia);
          if (!reported && (reported = this.reports.reportAtFirstPacket())) events.leaseEvent(leaseId, 'peer-connected', connected);
          const ssrc = ingest.primarySsrc;
          if (reported)
            events.leaseEvent(leaseId, 'first-packet', {
              ssrc: ssrc === null ? null : canonicalSsrc(ssrc),
              framing: ingest.framing,
              connection: connected.connection,
            });
          events.leaseStateChanged(leaseId, 'streaming');
        }
      }
      if (err !== null) this.streamError(socket, err, 'rtp');
    });
    socket.once('close', () => {
      clearTimeout(noMedia);
      this.reports.ended(reported, streaming);
      const truncated = ingest.finish()?.code === 'truncated';
      if (this.device !== socket) return;
      const why = this.deviceWhy;
      const packets = ingest.rtpPackets - ingest.rejectedPackets;
      this.endConnection();
      if (this.closing) return;
      if (reported) events.leaseEvent(leaseId, 'peer-disconnected', { peer, why, packets, ...(truncated ? { truncated } : {}) });
      if (streaming) events.leaseStateChanged(leaseId, 'listening');
    });
  }

  /** A connection's first accepted packet: it may stay, the connect timeout is met, the idle clock runs. */
  private mediaStarted(noMedia: NodeJS.Timeout): void {
    clearTimeout(noMedia);
    if (this.connectTimer) {
      clearInterval(this.connectTimer);
      this.connectTimer = null;
    }
    if (this.binding.idleTimeoutS > 0 && this.idleTimer === null) this.armIdle();
  }

  /** Folds the current connection's figures into the carried totals (once). */
  private endConnection(): void {
    if (this.ingest === null) return;
    this.fanout.flush();
    this.carried.add(this.ingest);
    this.ingest = null;
    this.device = null;
  }

  private acceptRtcp(socket: Socket): void {
    const peer = `${normalize(socket.remoteAddress)}:${socket.remotePort}`;
    if (this.reject(socket, peer, this.rtcpPeer !== null)) return;
    this.rtcpPeer = socket;
    // Silence on the RTCP port frees its slot after the lease's idle timeout, as on the RTP port.
    if (this.binding.idleTimeoutS > 0) {
      socket.setTimeout(this.binding.idleTimeoutS * 1000);
      socket.once('timeout', () => socket.destroy());
    }
    const deframer = new StreamDeframer();
    const counters = this.rtcp;
    // RTP on the RTCP port is ignored: it is never mixed into the media.
    const onFrame: FrameHandler = (buf, start, end) => {
      if (isRtcp(buf, start)) counters.count(buf, start, end);
    };
    socket.on('data', (chunk: Buffer) => {
      const err = deframer.push(chunk, onFrame);
      if (err !== null) this.streamError(socket, err, 'rtcp');
    });
    socket.once('close', () => {
      if (this.rtcpPeer === socket) this.rtcpPeer = null;
    });
  }

  /** Closes a connection that must not be served; true when it was rejected. */
  private reject(socket: Socket, peer: string, busy: boolean): boolean {
    socket.on('error', () => undefined);
    if (this.closing) {
      socket.destroy();
      return true;
    }
    const wrongPeer = this.allowedPeer !== null && normalize(socket.remoteAddress) !== this.allowedPeer;
    if (!busy && !wrongPeer) return false;
    this.rejected++;
    const port = socket.localPort;
    socket.destroy();
    // Anyone who reaches the port can knock: report the first few, count them all.
    if (this.rejected <= MAX_REPORTED_REJECTIONS) {
      this.options
        .events()
        .leaseEvent(this.binding.leaseId, 'peer-rejected', { peer, port, why: wrongPeer ? 'address-not-allowed' : 'already-connected' });
    }
    return true;
  }

  /** Garbage or an impossible frame: close only this connection, and say why. */
  private streamError(socket: Socket, err: DeframeError, port: 'rtp' | 'rtcp'): void {
    if (socket.destroyed) return;
    this.streamErrors++;
    if (port === 'rtp') this.deviceWhy = `stream-error: ${err.code}`;
    socket.destroy();
    // Garbage can be sent once per connection in a loop: report the first few, count them all.
    if (this.streamErrors > MAX_REPORTED_STREAM_ERRORS) return;
    const peer = `${normalize(socket.remoteAddress)}:${socket.remotePort}`;
    this.options.events().leaseEvent(this.binding.leaseId, 'stream-error', { peer, port, code: err.code, message: err.message });
  }

  private checkSsrc(ssrc: number): boolean {
    const expected = this.binding.ssrc;
    if (expected === null || ssrc === expected) return true;
    if (!this.reportedSsrcs.has(ssrc) && this.reportedSsrcs.size < MAX_REPORTED_SSRCS) {
      this.reportedSsrcs.add(ssrc);
      this.options
        .events()
        .leaseEvent(this.binding.leaseId, 'ssrc-mismatch', { ssrc: canonicalSsrc(ssrc), expected: canonicalSsrc(expected) });
    }
    return false;
  }

  private armIdle(): void {
    const idleMs = this.binding.idleTimeoutS * 1000;
    const check = () => {
      const quiet = this.now() - this.lastActivity;
      if (quiet < idleMs) {
        this.idleTimer = setTimeout(check, idleMs - quiet).unref();
        return;
      }
      // The release routine closes us; should it fail, try again one period later.
      this.lastActivity = this.now();
      this.idleTimer = setTimeout(check, idleMs).unref();
      const device = this.device;
      if (device === null) return this.timedOut('idle-timeout');
      // Report after the socket's own close handler has written `peer-disconnected`.
      device.once('close', () => this.timedOut('idle-timeout'));
      this.disconnect('idle-timeout');
    };
    this.idleTimer = setTimeout(check, idleMs).unref();
  }

  private every(ms: number, fn: () => void): NodeJS.Timeout {
    return setInterval(fn, ms).unref();
  }

  private timedOut(reason: GatewayTimeout): void {
    if (this.closing) return;
    this.options.events().leaseTimedOut(this.binding.leaseId, reason);
  }

  private clearTimers(): void {
    if (this.connectTimer) clearInterval(this.connectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.connectTimer = null;
    this.idleTimer = null;
  }
}

/** A socket's remoteAddress in normalizeAddress form ("::ffff:192.0.2.10" → "192.0.2.10"). */
export function normalize(address: string | undefined): string {
  return address ? normalizeAddress(address) : '';
}
