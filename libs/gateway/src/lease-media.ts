import { canonicalSsrc, RtcpCounters, RtpIngest, type DeframeError } from '@app/rtp';
import { ConnectionReports } from './connection-reports';
import { forwarderForLease, type ForwardLimits, type LeaseForwarder } from './forward';
import type { GatewayEventSink, GatewayLeaseEvent, GatewayTimeout } from './gateway-events';
import type { LeaseBinding } from './lease-binding';
import { PsFanout } from './ps-fanout';
import { PsRecorder, type RecorderOptions, type RecordingStopped } from './ps-recorder';
import { CarriedTotals, isoOrNull, readIngest, round, type LeaseStreamStats } from './stream-stats';

export interface MediaOptions {
  /** a live-pull client further behind than this is dropped */
  liveMaxBacklogBytes: number;
  /** RECORD_DIR and RECORD_MAX_BYTES for the recorder */
  recording?: Pick<RecorderOptions, 'root' | 'maxBytes'>;
  /** FORWARD_BUFFER_BYTES and the process's forward budget, for the lease's forwarder */
  forward?: ForwardLimits;
  events: () => GatewayEventSink;
  now?: () => number;
  /** the idle timeout struck: the session drops the device connection (if any), then reports it */
  onIdle: () => void;
}

/** Foreign SSRCs reported per lease (one `ssrc-mismatch` event each); bounds a peer inventing SSRCs. */
const MAX_REPORTED_SSRCS = 16;
/** Rejected peers reported per lease (`peer-rejected`); the rest are only counted. */
export const MAX_REPORTED_REJECTIONS = 16;
/** Stream errors reported per lease (`stream-error`, either port); the rest are only counted. */
const MAX_REPORTED_STREAM_ERRORS = 16;

/**
 * One device feed: a TCP connection (tcp-passive, tcp-active), or the latched UDP peer. Its
 * own RtpIngest (deframer → RTP → per-SSRC stats → PS probe → sinks); every push goes through
 * LeaseMedia.afterPush, the one accepted-packet path of every transport.
 */
export class MediaFeed {
  /** an accepted packet arrived on this feed */
  streaming = false;
  /** called once, at the feed's first accepted packet (the TCP adapters stop their no-media timer) */
  onStreaming: (() => void) | null = null;

  constructor(
    private readonly media: LeaseMedia,
    readonly ingest: RtpIngest,
    readonly peer: string,
    readonly connection: number,
    public reported: boolean,
  ) {}

  /** Packets accepted into the stream so far (RTP, SSRC filter passed). */
  get accepted(): number {
    return this.ingest.rtpPackets - this.ingest.rejectedPackets;
  }

  /** A chunk of a TCP stream (RFC 4571 or RFC 2326 framing). Non-null: close this connection. */
  push(chunk: Buffer, now: number): DeframeError | null {
    const before = this.accepted;
    const err = this.ingest.push(chunk, now);
    this.media.afterPush(this, before, now);
    return err;
  }

  /** One datagram = one RTP packet (UDP): no deframing, no copy. `reused`: `buf` is a receive slab, overwritten after the call. */
  pushPacket(buf: Buffer, start: number, end: number, now: number, reused = false): void {
    const before = this.accepted;
    this.ingest.pushPacket(buf, start, end, now, reused);
    this.media.afterPush(this, before, now);
  }
}

/**
 * The transport-independent media side of one lease: the feeds' RtpIngest, the statistics that
 * carry on across feeds, the live-pull fan-out, the recorder, the connect and idle timers, and
 * the capped events. The transport adapters (tcp-passive, udp, tcp-active) own the sockets and
 * only hand bytes in through a MediaFeed; whatever the transport, the lease turns `streaming`
 * at a feed's first accepted packet (and back to `listening` when a TCP feed ends), the connect
 * timeout is met only by an accepted packet, and the idle clock starts at the first one and is
 * reset by each one (docs/ARCHITECTURE.md#invariants, rule 9: every event is capped per lease).
 */
export class LeaseMedia {
  readonly fanout: PsFanout;
  /** set once the sockets are open, so a failed bind leaves no file behind */
  recorder: PsRecorder | null = null;
  /** sends every accepted packet on to a media server (issue 16); null when the lease does not forward */
  readonly forwarder: LeaseForwarder | null;
  /** RTCP counted on the RTCP port (the RTP feed counts its in-band RTCP itself) */
  readonly rtcp = new RtcpCounters();
  /** true once close() began: no more events, no more state reports */
  closing = false;
  private feed: MediaFeed | null = null;
  private readonly carried = new CarriedTotals();
  private readonly reportedSsrcs = new Set<number>();
  /** datagrams dropped for their SSRC before any feed existed (UDP, before the peer is latched) */
  private droppedSsrcBeforeFeed = 0;
  private connections = 0;
  /** which connections get events; counts the others */
  private readonly reports = new ConnectionReports();
  private rejected = 0;
  private reportedRejections = 0;
  private streamErrors = 0;
  private peer: string | null = null;
  private connectedAt: number | null = null;
  private lastPacketAt: number | null = null;
  /** last sign of life for the idle timer: an accepted packet */
  private lastActivity = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  readonly now: () => number;
  private readonly acceptSsrc = (ssrc: number): boolean => this.checkSsrc(ssrc);

  constructor(
    readonly binding: LeaseBinding,
    private readonly options: MediaOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.fanout = new PsFanout(options.liveMaxBacklogBytes, this.now);
    this.forwarder = forwarderForLease(binding, options.forward, options.events, this.now);
  }

  /** The sockets are open: start the recording. */
  opened(): void {
    if (this.binding.recordPath && this.recorder === null) this.recorder = this.newRecorder(this.binding.recordPath);
  }

  /** (Re)starts the connect clock: met by the first accepted packet. No-op once media flowed or with no timeout. */
  armConnectTimeout(): void {
    if (this.binding.connectTimeoutS <= 0 || this.lastPacketAt !== null || this.closing) return;
    if (this.connectTimer) clearInterval(this.connectTimer);
    this.connectTimer = setInterval(() => this.timedOut('connect-timeout'), this.binding.connectTimeoutS * 1000).unref();
  }

  get hasFeed(): boolean {
    return this.feed !== null;
  }

  /**
   * A new feed: a TCP connection was accepted or established, or the UDP peer was latched.
   * The one place an RtpIngest is made for a lease, with its sinks (recorder, live pull).
   */
  beginFeed(peer: string): MediaFeed {
    // forward: every packet accepted into the stream goes on to the media server, whatever the transport
    const ingest = new RtpIngest({ acceptSsrc: this.acceptSsrc, onPacket: this.forwarder?.onPacket });
    if (this.recorder) ingest.addSink(this.recorder);
    ingest.addSink(this.fanout);
    if (this.connections > 0) this.fanout.discontinuity();
    this.connections++;
    this.peer = peer;
    this.connectedAt = this.now();
    const reported = this.reports.reportAtAccept();
    const feed = new MediaFeed(this, ingest, peer, this.connections, reported);
    this.feed = feed;
    if (reported) this.event('peer-connected', this.connectedDetail(feed));
    return feed;
  }

  /** After each push: the accepted-packet path (sign of life, first packet, `streaming`). */
  afterPush(feed: MediaFeed, acceptedBefore: number, now: number): void {
    this.forwarder?.flush(now); // the read's packets join the lease's next forward write
    this.fanout.flushIfFull(now);
    if (feed.accepted === acceptedBefore) return;
    this.lastActivity = now;
    this.lastPacketAt = now;
    if (!feed.streaming) this.firstAccepted(feed);
  }

  /**
   * A feed ended (its connection closed): fold its figures into the carried totals and, unless
   * the lease is closing, say so. `why`: why it closed; `truncated`: it stopped mid-frame.
   */
  endFeed(feed: MediaFeed, why: string, truncated = false): void {
    this.reports.ended(feed.reported, feed.streaming);
    if (this.feed !== feed) return;
    this.fold();
    if (this.closing) return;
    if (feed.reported)
      this.event('peer-disconnected', { peer: feed.peer, why, packets: feed.accepted, ...(truncated ? { truncated } : {}) });
    if (feed.streaming) this.options.events().leaseStateChanged(this.binding.leaseId, 'listening');
  }

  /** The lease's expected SSRC; a foreign one is reported once (capped) and refused. */
  checkSsrc(ssrc: number): boolean {
    const expected = this.binding.ssrc;
    if (expected === null || ssrc === expected) return true;
    if (!this.reportedSsrcs.has(ssrc) && this.reportedSsrcs.size < MAX_REPORTED_SSRCS) {
      this.reportedSsrcs.add(ssrc);
      this.event('ssrc-mismatch', { ssrc: canonicalSsrc(ssrc), expected: canonicalSsrc(expected) });
    }
    return false;
  }

  /** A datagram dropped for its SSRC before any feed existed: counted with droppedForeignSsrc. */
  countForeignSsrc(): void {
    this.droppedSsrcBeforeFeed++;
  }

  /** A peer refused (a second connection, a foreign address or source): counted; the first few are events. */
  peerRejected(detail: { peer: string; port: number | undefined; why: string }): void {
    this.rejected++;
    this.reportRejection(detail);
  }

  /** False once MAX_REPORTED_REJECTIONS `peer-rejected` events were written for this lease. */
  get mayReportRejection(): boolean {
    return this.reportedRejections < MAX_REPORTED_REJECTIONS;
  }

  /** A `peer-rejected` event while fewer than MAX_REPORTED_REJECTIONS were written; true when written. */
  reportRejection(detail: { peer: string; port: number | undefined; why: string }): boolean {
    if (this.reportedRejections >= MAX_REPORTED_REJECTIONS) return false;
    this.reportedRejections++;
    this.event('peer-rejected', detail);
    return true;
  }

  /** Garbage or an impossible frame closed a connection: counted; the first few are events. */
  streamError(peer: string, port: 'rtp' | 'rtcp', err: DeframeError): void {
    this.streamErrors++;
    // Garbage can be sent once per connection in a loop: report the first few, count them all.
    if (this.streamErrors > MAX_REPORTED_STREAM_ERRORS) return;
    this.event('stream-error', { peer, port, code: err.code, message: err.message });
  }

  /** A media-side event of this lease (the transports' own ones too, e.g. dial-failed). */
  event(type: GatewayLeaseEvent, detail: Record<string, unknown>): void {
    this.options.events().leaseEvent(this.binding.leaseId, type, detail);
  }

  timedOut(reason: GatewayTimeout): void {
    if (this.closing) return;
    this.options.events().leaseTimedOut(this.binding.leaseId, reason);
  }

  /** The contract's stats; `connected` comes from the transport (a socket it holds right now). */
  stats(connected: boolean): LeaseStreamStats {
    const c = this.carried;
    const ing = this.feed?.ingest ?? null;
    const cur = ing ? readIngest(ing) : null;
    const probe = ing?.probe ?? null;
    const primary = ing?.primarySsrc ?? c.ssrc;
    return {
      transport: this.binding.transport,
      peer: this.peer,
      connectedAt: isoOrNull(this.connectedAt),
      connected,
      packets: c.packets + (cur?.packets ?? 0),
      bytes: c.bytes + (cur?.bytes ?? 0),
      bitrateKbps: cur ? round(cur.bitrateBps / 1000, 1) : 0,
      lost: c.lost + (cur?.lost ?? 0),
      reordered: c.reordered + (cur?.reordered ?? 0),
      duplicates: c.duplicates + (cur?.duplicates ?? 0),
      jitterMs: cur && cur.packets > 0 ? cur.jitterMs : c.jitterMs,
      ssrcSeen: primary === null ? null : canonicalSsrc(primary),
      droppedForeignSsrc: c.dropped + (ing?.rejectedPackets ?? 0) + this.droppedSsrcBeforeFeed,
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
      forward: this.forwarder && this.forwarder.stats(),
      unreportedForwardChanges: this.forwarder?.unreportedChanges ?? 0,
    };
  }

  stopTimers(): void {
    if (this.connectTimer) clearInterval(this.connectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.connectTimer = null;
    this.idleTimer = null;
  }

  /** After the transport closed every socket: fold the last feed, complete the recording, end the live pulls. */
  async finish(): Promise<void> {
    this.stopTimers();
    this.fold();
    // The forward socket is the lease's too: closed, and its close awaited, with the others.
    await this.forwarder?.close();
    await this.recorder?.close();
    this.fanout.endAll('lease-ended');
  }

  /** A recording that stops on its own (full, failing or stalled disk) says so in the lease's events. */
  private newRecorder(path: string): PsRecorder {
    const onStopped = (s: RecordingStopped) => this.event('recording-stopped', { ...s });
    return new PsRecorder(path, { ...this.options.recording, onStopped });
  }

  /** A feed's first accepted packet: the connect timeout is met, the idle clock runs, the lease streams. */
  private firstAccepted(feed: MediaFeed): void {
    feed.streaming = true;
    feed.onStreaming?.();
    if (this.connectTimer) {
      clearInterval(this.connectTimer);
      this.connectTimer = null;
    }
    if (this.binding.idleTimeoutS > 0 && this.idleTimer === null) this.armIdle();
    if (!feed.reported && (feed.reported = this.reports.reportAtFirstPacket())) this.event('peer-connected', this.connectedDetail(feed));
    const ssrc = feed.ingest.primarySsrc;
    if (feed.reported)
      this.event('first-packet', {
        ssrc: ssrc === null ? null : canonicalSsrc(ssrc),
        framing: feed.ingest.framing,
        connection: feed.connection,
      });
    this.options.events().leaseStateChanged(this.binding.leaseId, 'streaming');
  }

  private connectedDetail(feed: MediaFeed): Record<string, unknown> {
    return { peer: feed.peer, port: this.binding.rtpPort, connection: feed.connection };
  }

  /** Folds the current feed's figures into the carried totals (once). */
  private fold(): void {
    const feed = this.feed;
    if (feed === null) return;
    this.fanout.flush();
    this.carried.add(feed.ingest);
    this.feed = null;
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
      this.options.onIdle();
    };
    this.idleTimer = setTimeout(check, idleMs).unref();
  }
}
