import { isRtcp } from '@app/rtp';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { BindError } from './bind.error';
import type { LeaseMedia, MediaFeed } from './lease-media';
import type { LeaseSocketsView, MediaSockets } from './media-sockets';
import { normalizeAddress } from './peer-address';
import { UDP_DROPS, type UdpDropReader } from './udp-drops';

/** What the RTP socket asks for (ZLMediaKit's rtp_proxy udp_recv_socket_buffer is 4 MB too): a burst of a 4 Mb/s stream for ~8 s. */
export const UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/** The smallest RTP packet: the fixed header (RFC 3550 5.1). */
const RTP_HEADER_BYTES = 12;

export interface UdpOptions {
  host: string;
  /** where kernel drops are read; the process-wide reader by default */
  drops?: UdpDropReader;
}

function bindOn(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      socket.off('listening', onListening);
      reject(new BindError(port, err.code ?? 'EUNKNOWN', err));
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    // exclusive: never shared through the cluster module; no SO_REUSEADDR, so the bind is the
    // test of the port (docs/ARCHITECTURE.md#invariants, rule 2) and the port is ours alone.
    socket.bind({ address: host, port, exclusive: true });
  });
}

/** Closes a socket (bound or not: a failed bind leaves a handle to free too) and resolves once it is closed. */
function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // ERR_SOCKET_DGRAM_NOT_RUNNING: closed already
    }
  });
}

/**
 * UDP (GB28181 RTP over UDP): two sockets bound on rtpPort and rtcpPort; `listening` once both
 * are bound (a failed bind closes the other first, as for a TCP pair: rule 1). The first
 * datagram that passes the checks (RTP version 2, the lease's SSRC when set, from peerAddress
 * when set) latches the peer (address and port) and becomes the lease's one feed; datagrams
 * from any other source are dropped and counted (`droppedForeignPeer`), with one
 * `peer-rejected` event per new source, at most MAX_REPORTED_REJECTIONS per lease. Each
 * datagram is one RTP packet and goes into the feed as it is (no deframing, no copy).
 */
export class UdpSockets implements MediaSockets {
  readonly rtp: Socket;
  readonly rtcp: Socket;
  private rtpBound = false;
  private closing: Promise<void> | null = null;
  private rtcpBound = false;
  private feed: MediaFeed | null = null;
  /** the latched peer, compared as the socket gives it (no string built per datagram) */
  private peerAddress: string | null = null;
  private peerPort = 0;
  private readonly allowedPeer: string | null;
  /** sources already reported as `peer-rejected` (bounded by the event cap) */
  private readonly reportedSources = new Set<string>();
  private droppedForeignPeer = 0;
  private droppedInvalid = 0;
  /** SO_RCVBUF of the RTP socket as the kernel reports it, once bound */
  recvBufferBytes = 0;
  private readonly drops: UdpDropReader;

  constructor(
    private readonly options: UdpOptions,
    private readonly media: LeaseMedia,
  ) {
    const type = isIPv6(options.host) ? 'udp6' : 'udp4';
    this.drops = options.drops ?? UDP_DROPS;
    const b = media.binding;
    this.allowedPeer = b.peerAddress === null ? null : normalizeAddress(b.peerAddress);
    this.rtp = createSocket({ type, recvBufferSize: UDP_RECV_BUFFER_BYTES });
    this.rtcp = createSocket({ type });
    // After bind, an error on a socket object must never crash the process.
    this.rtp.on('error', () => undefined);
    this.rtcp.on('error', () => undefined);
    this.rtp.on('message', (msg, rinfo) => this.onRtp(msg, rinfo));
    this.rtcp.on('message', (msg, rinfo) => this.onRtcp(msg, rinfo));
  }

  async open(): Promise<void> {
    const b = this.media.binding;
    try {
      await bindOn(this.rtp, this.options.host, b.rtpPort);
      this.rtpBound = true;
      await bindOn(this.rtcp, this.options.host, b.rtcpPort);
      this.rtcpBound = true;
    } catch (err) {
      await this.close();
      throw err;
    }
    this.recvBufferBytes = this.rtp.getRecvBufferSize();
  }

  /** Resolves once both sockets are closed in the OS. Idempotent. */
  close(): Promise<void> {
    this.rtpBound = this.rtcpBound = false;
    this.closing ??= Promise.all([closeSocket(this.rtp), closeSocket(this.rtcp)]).then(() => undefined);
    return this.closing;
  }

  get connected(): boolean {
    return this.feed !== null;
  }

  get listening(): boolean {
    return this.rtpBound && this.rtcpBound;
  }

  /** A UDP "connection" cannot be destroyed: the latched peer stays until the lease ends. */
  disconnect(): boolean {
    return false;
  }

  dropThen(_why: string, fn: () => void): void {
    fn();
  }

  view(): LeaseSocketsView {
    const b = this.media.binding;
    return {
      transport: 'udp',
      tcpListening: [],
      udpBound: [this.rtpBound && b.rtpPort, this.rtcpBound && b.rtcpPort].filter((p): p is number => p !== false),
      tcpConnections: [],
      dialling: false,
    };
  }

  stats(): { droppedForeignPeer: number; droppedInvalid: number; kernelDrops: number | null; recvBufferBytes: number } {
    const b = this.media.binding;
    const kernelDrops = this.listening ? this.drops.dropsOn([b.rtpPort, b.rtcpPort]) : null;
    return {
      droppedForeignPeer: this.droppedForeignPeer,
      droppedInvalid: this.droppedInvalid,
      kernelDrops,
      recvBufferBytes: this.recvBufferBytes,
    };
  }

  private onRtp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.media.closing) return;
    const feed = this.feed;
    if (feed !== null) {
      if (rinfo.port === this.peerPort && rinfo.address === this.peerAddress) feed.pushPacket(msg, 0, msg.length, this.media.now());
      else this.foreign(rinfo, 'not-the-latched-peer');
      return;
    }
    // Not latched yet: only an RTP v2 packet with the lease's SSRC, from peerAddress when set, latches.
    if (msg.length < RTP_HEADER_BYTES || msg[0] >> 6 !== 2 || isRtcp(msg, 0)) {
      this.droppedInvalid++;
      return;
    }
    if (this.allowedPeer !== null && normalizeAddress(rinfo.address) !== this.allowedPeer) {
      this.foreign(rinfo, 'address-not-allowed');
      return;
    }
    if (!this.media.checkSsrc(msg.readUInt32BE(8))) {
      this.media.countForeignSsrc();
      return;
    }
    this.peerAddress = rinfo.address;
    this.peerPort = rinfo.port;
    const latched = this.media.beginFeed(sourceOf(rinfo));
    this.feed = latched;
    latched.pushPacket(msg, 0, msg.length, this.media.now());
  }

  /** RTCP from the latched peer's address (or, before latching, from any allowed address) is counted. */
  private onRtcp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.media.closing || msg.length < 8 || !isRtcp(msg, 0)) return;
    const latched = this.peerAddress;
    if (latched !== null ? rinfo.address !== latched : this.allowedPeer !== null && normalizeAddress(rinfo.address) !== this.allowedPeer)
      return;
    this.media.rtcp.count(msg, 0, msg.length);
  }

  private foreign(rinfo: RemoteInfo, why: string): void {
    this.droppedForeignPeer++;
    if (!this.media.mayReportRejection) return;
    const source = sourceOf(rinfo);
    // One event per new source while the lease's cap lasts; past it, sources are only counted
    // (and no longer remembered, so a flood of spoofed sources grows nothing).
    if (this.reportedSources.has(source)) return;
    if (this.media.reportRejection({ peer: source, port: this.media.binding.rtpPort, why })) this.reportedSources.add(source);
  }
}

function sourceOf(rinfo: RemoteInfo): string {
  return `${normalizeAddress(rinfo.address)}:${rinfo.port}`;
}
