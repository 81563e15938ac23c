import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { udpBatchAddon } from '@app/udp-batch';
import { EndedLeases } from './ended-leases';
import { EventLoopProbe } from './event-loop.probe';
import { ForwardBudget, type ForwardState, type LeaseForwarder } from './forward';
import { DEFAULT_LIVE_MAX_BACKLOG_BYTES, DEFAULT_NO_MEDIA_TIMEOUT_MS, GATEWAY_OPTIONS, type GatewayOptions } from './gateway.options';
import { NO_EVENTS, type GatewayEventSink } from './gateway-events';
import type { LeaseBinding, MediaTransport } from './lease-binding';
import type { LeaseSocketsView } from './media-sockets';
import { LeaseEndingError } from './lease-ending.error';
import { LeaseSession } from './lease-session';
import { UDP_RECV_BUFFER_BYTES, UdpSockets } from './udp.sockets';
import type { PsSubscriber } from './ps-fanout';
import type { LeaseStreamStats } from './stream-stats';

/**
 * One lease as the gateway holds it, for the reconciler. `listening`: the sockets its transport
 * needs are in place (tcp-passive: both TCP listeners; udp: both UDP sockets bound; tcp-active:
 * the lease is open here, dialling or connected or waiting for the connect call — it never
 * listens). `sockets` says exactly which OS sockets it holds right now (see LeaseSocketsView).
 */
export interface GatewayListenerView {
  readonly leaseId: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly transport: MediaTransport;
  readonly listening: boolean;
  readonly connected: boolean;
  readonly sockets: LeaseSocketsView;
  /** the lease's forward connection (one of its sockets), null when it does not forward */
  readonly forward?: Readonly<GatewayForwardView> | null;
}

/** A forward connection the gateway holds, and for which lease. */
export interface GatewayForwardView {
  leaseId: string;
  to: string;
  state: ForwardState;
  /** the socket's local port while one is open */
  localPort: number | null;
  /** the forwarder of the lease's open session; false: no session explains it (an orphan) */
  owned: boolean;
}

/**
 * Owns every media socket of this process (TCP listeners and connections, UDP sockets, dialled
 * connections), whatever the lease's transport. It never decides when a
 * lease ends: it opens and closes on request from the ledger's use cases, and reports what
 * happens on the sockets (including connect and idle timeouts) through the event sink.
 */
@Injectable()
export class MediaGateway implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MediaGateway.name);
  private readonly leases = new Map<string, LeaseSession>();
  /** opens in progress, so a close that arrives meanwhile waits for it */
  private readonly opening = new Map<string, Promise<void>>();
  /** leases the release routine is closing or has closed: open() refuses them */
  private readonly endedLeases = new EndedLeases();
  /**
   * Every forwarder a session made, until the session's close has closed it: a forward socket
   * is tracked apart from the session map, so one that lost its session (which no code path
   * should allow) is still seen, and closed, by the reconciler (forwards(), closeForwards()).
   */
  private readonly forwarders = new Map<LeaseForwarder, string>();
  /** each open lease's last listeners() entry, handed out again while it is still true */
  private readonly shown = new WeakMap<LeaseSession, GatewayListenerView>();
  private sink: GatewayEventSink = NO_EVENTS;
  /** the kernel's cap on UDP receive buffers was logged (once per process) */
  private recvBufferLogged = false;
  private readonly events = () => this.sink;
  private readonly probe = EventLoopProbe.fromEnv();
  /** FORWARD_BUFFER_TOTAL_BYTES: the bytes every lease's forward holds, together, and their bound */
  private readonly forwardBudget: ForwardBudget;

  constructor(@Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions) {
    this.forwardBudget = new ForwardBudget(options.forwardBufferTotalBytes);
  }

  onModuleInit(): void {
    // UDP leases receive through the udp-batch addon, and there is no other UDP receive path:
    // without it the service refuses to start (UdpBatchUnavailableError says how to build it)
    // rather than fail the first UDP lease.
    udpBatchAddon();
    this.probe?.start();
  }

  onModuleDestroy(): void {
    this.probe?.stop();
  }

  setEventSink(sink: GatewayEventSink): void {
    this.sink = sink;
  }

  /**
   * Opens both listeners of a lease; throws BindError (with nothing left open) when either
   * fails, and LeaseEndingError when the lease's release has begun, before or during the open
   * (the release's close, which waits for the open, closes what it opened).
   */
  async open(binding: LeaseBinding): Promise<void> {
    const id = binding.leaseId;
    if (this.endedLeases.refuses(id)) throw new LeaseEndingError(id);
    if (this.leases.has(id)) {
      await this.opening.get(id);
    } else {
      const session = new LeaseSession(binding, {
        host: this.options.bindHost,
        liveMaxBacklogBytes: this.options.liveMaxBacklogBytes ?? DEFAULT_LIVE_MAX_BACKLOG_BYTES,
        noMediaTimeoutMs: this.options.noMediaTimeoutMs ?? DEFAULT_NO_MEDIA_TIMEOUT_MS,
        recording: { root: this.options.recordDir, maxBytes: this.options.recordMaxBytes },
        forward: { bufferBytes: this.options.forwardBufferBytes, budget: this.forwardBudget, batchMs: this.options.forwardBatchMs },
        events: this.events,
      });
      this.leases.set(id, session);
      if (session.forwarder) this.forwarders.set(session.forwarder, id);
      const opened = session.open();
      this.opening.set(id, opened);
      try {
        await opened;
        if (session.sockets instanceof UdpSockets) this.logRecvBuffer(session.sockets.recvBufferBytes);
      } catch (err) {
        if (this.leases.get(id) === session) this.leases.delete(id);
        await this.dropForwarder(session.forwarder);
        throw err;
      } finally {
        this.opening.delete(id);
      }
    }
    if (this.endedLeases.isEnding(id)) throw new LeaseEndingError(id);
  }

  /**
   * The first UDP lease says once what receive buffer the kernel granted (stats.recvBufferBytes
   * has it per lease): net.core.rmem_max caps the 4 MB asked for, and bursts beyond the buffer
   * are dropped by the kernel (stats.kernelDrops).
   */
  private logRecvBuffer(granted: number): void {
    if (this.recvBufferLogged) return;
    this.recvBufferLogged = true;
    // Linux reports twice what it grants (the doubled value includes its bookkeeping).
    const message = `UDP receive buffer: asked ${UDP_RECV_BUFFER_BYTES} bytes, the kernel reports ${granted}`;
    if (granted < UDP_RECV_BUFFER_BYTES) this.logger.warn(`${message}; raise net.core.rmem_max to at least ${UDP_RECV_BUFFER_BYTES}`);
    else this.logger.log(message);
  }

  /**
   * Stops accepting, destroys the lease's connections and awaits their close in the OS,
   * completes the recording (flushed, fsynced, closed) and ends the live pulls; only then
   * resolves, with the lease's final stream statistics (null when the lease is not open here).
   * The lease may be opened again (the reconciler's re-open of a lost listener).
   */
  async close(leaseId: string): Promise<LeaseStreamStats | null> {
    await this.opening.get(leaseId)?.catch(() => undefined);
    const session = this.leases.get(leaseId);
    if (!session) return null;
    const stats = await session.close();
    if (this.leases.get(leaseId) === session) this.leases.delete(leaseId);
    this.forwarders.delete(session.forwarder!);
    return stats;
  }

  /** Bytes held for forwarding by every lease's forward, now (gathered, waiting, or not yet taken by the kernel). */
  get forwardBufferedBytes(): number {
    return this.forwardBudget.held;
  }

  /** Every forward connection held here (for the reconciler), with or without its session. */
  forwards(): GatewayForwardView[] {
    return [...this.forwarders].map(([f, leaseId]) => ({
      leaseId,
      to: f.to,
      state: f.state,
      localPort: f.localPort,
      owned: this.leases.get(leaseId)?.forwarder === f,
    }));
  }

  /**
   * Closes the forward connections held for a lease that no open session of it owns (the
   * reconciler's `orphan-forward`), and awaits their close. Returns how many there were.
   */
  async closeForwards(leaseId: string): Promise<number> {
    const own = this.leases.get(leaseId)?.forwarder ?? null;
    const orphans = [...this.forwarders].filter(([f, id]) => id === leaseId && f !== own).map(([f]) => f);
    await Promise.all(orphans.map((f) => this.dropForwarder(f)));
    return orphans.length;
  }

  private async dropForwarder(f: LeaseForwarder | null): Promise<void> {
    if (f === null) return;
    await f.close();
    this.forwarders.delete(f);
  }

  /**
   * The release routine's close: from this call on, open() refuses the lease, and an open in
   * progress is closed once it has opened. Call ended() when the terminal state is written.
   */
  closeForEnd(leaseId: string): Promise<LeaseStreamStats | null> {
    this.endedLeases.begin(leaseId);
    return this.close(leaseId);
  }

  /** The release routine is done with the lease (terminal state written, or it gave up). */
  ended(leaseId: string): void {
    this.endedLeases.settle(leaseId);
  }

  /** True between closeForEnd() and ended(): the release routine is ending the lease. */
  isEnding(leaseId: string): boolean {
    return this.endedLeases.isEnding(leaseId);
  }

  /** Closes every lease's sockets (shutdown); the ledger keeps the leases for the next start. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.leases.keys()].map((id) => this.close(id)));
  }

  /**
   * Destroys the current device connection(s) of a lease (RTP and RTCP port) — for the
   * reconciler's stuck connections. The lease stays; the device may reconnect. The idle timer
   * keeps running. Returns false when the lease had no connection (or is not open here).
   */
  disconnectDevice(leaseId: string, why: string): boolean {
    const session = this.leases.get(leaseId);
    if (!session || session.isClosing) return false;
    const done = session.disconnect(why);
    if (done)
      this.logger.log(
        `lease ${leaseId} stream ${session.binding.streamId} port ${session.binding.rtpPort}: device connection destroyed (${why})`,
      );
    return done;
  }

  /**
   * tcp-active: dial the device at address:port from MEDIA_BIND_HOST:rtpPort (again, if it
   * was dialling elsewhere); the connect timeout counts from this call. 'not-open': the lease is
   * not open here (or is closing); 'wrong-transport': it is not tcp-active.
   */
  connect(leaseId: string, address: string, port: number): 'dialling' | 'not-open' | 'wrong-transport' {
    const session = this.leases.get(leaseId);
    if (!session || session.isClosing || this.endedLeases.isEnding(leaseId)) return 'not-open';
    if (session.binding.transport !== 'tcp-active') return 'wrong-transport';
    session.connect(address, port);
    this.logger.log(`lease ${leaseId} stream ${session.binding.streamId} port ${session.binding.rtpPort}: dialling ${address}:${port}`);
    return 'dialling';
  }

  /**
   * Live pull: adds a client to the lease's PS fan-out (it may join before the device
   * connects). Returns the unsubscribe function, or null when the lease is not open here.
   * The subscriber is ended with 'lease-ended' when the lease closes, or 'too-slow'.
   */
  subscribe(leaseId: string, subscriber: PsSubscriber): (() => void) | null {
    return this.leases.get(leaseId)?.subscribe(subscriber) ?? null;
  }

  has(leaseId: string): boolean {
    return this.leases.has(leaseId);
  }

  isListening(leaseId: string): boolean {
    return this.leases.get(leaseId)?.listening ?? false;
  }

  /** Live statistics of a lease's stream (the contract's stats shape), or null when it is not open here. */
  stats(leaseId: string): LeaseStreamStats | null {
    return this.leases.get(leaseId)?.stats() ?? null;
  }

  /**
   * Changes the SSRC a live lease accepts (ZLMediaKit's updateRtpServerSSRC; the ledger row is
   * updated first). Applies to every SSRC the current connection has not been judged on yet.
   * Returns false when the lease is not open here.
   */
  updateSsrc(leaseId: string, ssrc: number | null): boolean {
    const session = this.leases.get(leaseId);
    if (!session) return false;
    session.binding.ssrc = ssrc;
    return true;
  }

  /**
   * Every open lease as the reconciler sees it. A lease's entry is the same object from call to
   * call while nothing in it changed (as its `sockets`, see SocketsViewMemo): 5,000 leases asked
   * twice a pass made megabytes of garbage and survivors for the GC. Entries are read-only.
   */
  listeners(): GatewayListenerView[] {
    const all: GatewayListenerView[] = [];
    for (const e of this.leases.values()) all.push(this.listenerOf(e));
    return all;
  }

  private listenerOf(e: LeaseSession): GatewayListenerView {
    const sockets = e.view();
    const f = e.forwarder;
    const last = this.shown.get(e);
    if (last && last.sockets === sockets && last.listening === e.listening && last.connected === e.connected && sameForward(last, f)) {
      return last;
    }
    const entry: GatewayListenerView = {
      leaseId: e.binding.leaseId,
      rtpPort: e.binding.rtpPort,
      rtcpPort: e.binding.rtcpPort,
      transport: e.binding.transport,
      listening: e.listening,
      connected: e.connected,
      sockets,
      forward: f && { leaseId: e.binding.leaseId, to: f.to, state: f.state, localPort: f.localPort, owned: true },
    };
    this.shown.set(e, entry);
    return entry;
  }

  get size(): number {
    return this.leases.size;
  }
}

/** Does the entry's forward still say what the lease's forwarder says now? */
function sameForward(entry: GatewayListenerView, f: LeaseForwarder | null): boolean {
  const shown = entry.forward ?? null;
  if (f === null || shown === null) return f === shown;
  return shown.to === f.to && shown.state === f.state && shown.localPort === f.localPort;
}
