import type { ForwardLimits, LeaseForwarder } from './forward';
import type { GatewayEventSink } from './gateway-events';
import type { LeaseBinding } from './lease-binding';
import { LeaseMedia } from './lease-media';
import type { LeaseSocketsView, MediaSockets } from './media-sockets';
import type { PsFanout, PsSubscriber } from './ps-fanout';
import type { PsRecorder, RecorderOptions } from './ps-recorder';
import type { LeaseStreamStats } from './stream-stats';
import { TcpActiveSockets } from './tcp-active.sockets';
import { TcpPassiveSockets } from './tcp-passive.sockets';
import { UdpSockets } from './udp.sockets';

export interface SessionOptions {
  host: string;
  /** a live-pull client further behind than this is dropped */
  liveMaxBacklogBytes: number;
  /** a TCP connection without an accepted packet this long after it was made is closed */
  noMediaTimeoutMs: number;
  /** RECORD_DIR and RECORD_MAX_BYTES for the recorder */
  recording?: Pick<RecorderOptions, 'root' | 'maxBytes'>;
  /** FORWARD_BUFFER_BYTES and the process's forward budget, for the lease's forwarder */
  forward?: ForwardLimits;
  events: () => GatewayEventSink;
  now?: () => number;
  /** tcp-active: spacing of dial attempts (default DIAL_SPACING_MS, 1 s) */
  dialSpacingMs?: number;
}

/**
 * One lease's media side: the transport-independent LeaseMedia (stats, PS probe, live pull,
 * recorder, connect and idle timers, capped events) fed by one transport adapter that owns the
 * sockets (TcpPassiveSockets, UdpSockets, TcpActiveSockets). It never ends the lease itself:
 * timeouts are reported to the sink, whose release routine calls the gateway's close().
 *
 * The idle clock keeps running while no device is connected, so a device that vanished frees
 * the port `idleTimeoutS` after its last accepted packet, unless it streams again in time.
 */
export class LeaseSession {
  readonly media: LeaseMedia;
  readonly sockets: MediaSockets;
  private closing: Promise<LeaseStreamStats> | null = null;

  constructor(
    readonly binding: LeaseBinding,
    options: SessionOptions,
  ) {
    this.media = new LeaseMedia(binding, {
      liveMaxBacklogBytes: options.liveMaxBacklogBytes,
      recording: options.recording,
      forward: options.forward,
      events: options.events,
      now: options.now,
      onIdle: () => this.idle(),
    });
    switch (binding.transport) {
      case 'udp':
        this.sockets = new UdpSockets({ host: options.host }, this.media);
        break;
      case 'tcp-active':
        this.sockets = new TcpActiveSockets(
          { host: options.host, noMediaTimeoutMs: options.noMediaTimeoutMs, spacingMs: options.dialSpacingMs },
          this.media,
        );
        break;
      default:
        this.sockets = new TcpPassiveSockets(options.host, this.media, options.noMediaTimeoutMs);
    }
  }

  get fanout(): PsFanout {
    return this.media.fanout;
  }

  get recorder(): PsRecorder | null {
    return this.media.recorder;
  }

  get forwarder(): LeaseForwarder | null {
    return this.media.forwarder;
  }

  /**
   * Binds what the transport binds (or starts dialling), then starts the recording and the
   * connect clock — for tcp-active only once it has a device to dial (counted from the connect call).
   */
  async open(): Promise<void> {
    await this.sockets.open();
    this.media.opened();
    const b = this.binding;
    if (b.transport !== 'tcp-active' || (b.peerAddress !== null && b.peerPort !== null)) this.media.armConnectTimeout();
  }

  /** tcp-active: dial the device at address:port; the connect timeout counts from here. False for another transport. */
  connect(address: string, port: number): boolean {
    if (!(this.sockets instanceof TcpActiveSockets) || this.closing) return false;
    this.binding.peerAddress = address;
    this.binding.peerPort = port;
    this.sockets.connect(address, port);
    this.media.armConnectTimeout();
    return true;
  }

  get connected(): boolean {
    return this.sockets.connected;
  }

  get listening(): boolean {
    return this.sockets.listening;
  }

  get isClosing(): boolean {
    return this.closing !== null;
  }

  /**
   * Closes every socket of the lease (listeners, UDP sockets, connections, a dial in flight or
   * scheduled) and awaits their close in the OS, then completes the recording and ends the live
   * pulls. Resolves with the final statistics. Idempotent.
   */
  close(): Promise<LeaseStreamStats> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Destroys the current device connections; false when there were none. */
  disconnect(why: string): boolean {
    return this.sockets.disconnect(why);
  }

  /** Adds a live-pull client; returns its unsubscribe function, or null once the lease is closing. */
  subscribe(sub: PsSubscriber): (() => void) | null {
    if (this.closing) return null;
    return this.media.fanout.add(sub);
  }

  stats(): LeaseStreamStats {
    return { ...this.media.stats(this.sockets.connected), ...this.sockets.stats() };
  }

  view(): LeaseSocketsView {
    return this.sockets.view();
  }

  private async shutdown(): Promise<LeaseStreamStats> {
    this.media.closing = true;
    this.media.stopTimers();
    await this.sockets.close();
    await this.media.finish();
    return this.stats();
  }

  /** Idle timeout: report it after the device connection's own close wrote `peer-disconnected`. */
  private idle(): void {
    this.sockets.dropThen('idle-timeout', () => this.media.timedOut('idle-timeout'));
  }
}
