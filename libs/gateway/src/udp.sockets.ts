import { isRtcp } from '@app/rtp';
import { BatchUdpSocket, sharedReceiveArea, TRUNCATED, type ReceiveArea } from '@app/udp-batch';
import { isIPv6 } from 'node:net';
import { BindError } from './bind.error';
import type { LeaseMedia, MediaFeed } from './lease-media';
import { SocketsViewMemo, type LeaseSocketsView, type MediaSockets } from './media-sockets';
import { normalizeAddress } from './peer-address';
import { UDP_DROPS, type UdpDropReader } from './udp-drops';
import { sourceText, UdpPeer } from './udp-source';

/** What the RTP socket asks for (ZLMediaKit's rtp_proxy udp_recv_socket_buffer is 4 MB too): a burst of a 4 Mb/s stream for ~8 s. */
export const UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/** The smallest RTP packet: the fixed header (RFC 3550 5.1). */
const RTP_HEADER_BYTES = 12;
/** The smallest RTCP packet: the common header and the sender's SSRC (RFC 3550 6.4). */
const RTCP_MIN_BYTES = 8;

export interface UdpOptions {
  host: string;
  /** where kernel drops are read; the process-wide reader by default */
  drops?: UdpDropReader;
  /** where datagrams are received; the process-wide area by default */
  receiveArea?: ReceiveArea;
}

async function bindOn(socket: BatchUdpSocket, host: string, port: number, recvBufferBytes = 0): Promise<void> {
  try {
    // No SO_REUSEADDR, so the bind is the test of the port (docs/ARCHITECTURE.md#invariants,
    // rule 2) and the port is ours alone.
    await socket.bind(host, port, recvBufferBytes);
  } catch (err) {
    throw new BindError(port, (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN', err);
  }
}

/**
 * UDP (GB28181 RTP over UDP): two sockets bound on rtpPort and rtcpPort; `listening` once both
 * are bound (a failed bind closes the other first, as for a TCP pair: rule 1). The first
 * datagram that passes the checks (RTP version 2, the lease's SSRC when set, from peerAddress
 * when set) latches the peer (address and port) and becomes the lease's one feed; datagrams
 * from any other source are dropped and counted (`droppedForeignPeer`), with one
 * `peer-rejected` event per new source, at most MAX_REPORTED_REJECTIONS per lease.
 *
 * The sockets receive in batches (libs/udp-batch: recvmmsg into a slab shared by every socket,
 * one call per batch, sources as integers): no Buffer, address string or event per datagram.
 * Each datagram is one RTP packet and goes into the feed where it lies in the slab (no
 * deframing, no copy), marked as reused: whoever keeps its bytes (a forwarder) copies them.
 * A datagram longer than a slot (truncated) is never fed: it is counted as invalid.
 */
export class UdpSockets implements MediaSockets {
  readonly rtp: BatchUdpSocket;
  readonly rtcp: BatchUdpSocket;
  private readonly area: ReceiveArea;
  private rtpBound = false;
  private closing: Promise<void> | null = null;
  private rtcpBound = false;
  private feed: MediaFeed | null = null;
  /** the latched peer, compared as integers */
  private peer: UdpPeer | null = null;
  private readonly allowedPeer: UdpPeer | null;
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
    this.area = options.receiveArea ?? sharedReceiveArea();
    const b = media.binding;
    this.allowedPeer = b.peerAddress === null ? null : UdpPeer.address(normalizeAddress(b.peerAddress));
    this.rtp = new BatchUdpSocket(type, (count) => this.onRtp(count), this.area);
    this.rtcp = new BatchUdpSocket(type, (count) => this.onRtcp(count), this.area);
  }

  async open(): Promise<void> {
    const b = this.media.binding;
    try {
      await bindOn(this.rtp, this.options.host, b.rtpPort, UDP_RECV_BUFFER_BYTES);
      this.rtpBound = true;
      await bindOn(this.rtcp, this.options.host, b.rtcpPort);
      this.rtcpBound = true;
    } catch (err) {
      await this.close();
      throw err;
    }
    this.recvBufferBytes = this.rtp.recvBufferBytes;
  }

  /** Resolves once both sockets are closed in the OS. Idempotent. */
  close(): Promise<void> {
    this.rtpBound = this.rtcpBound = false;
    this.closing ??= Promise.all([this.rtp.close(), this.rtcp.close()]).then(() => undefined);
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
    return this.shown.view(Number(this.rtpBound) | (Number(this.rtcpBound) << 1));
  }

  private readonly shown = new SocketsViewMemo((): LeaseSocketsView => {
    const b = this.media.binding;
    return {
      transport: 'udp',
      tcpListening: [],
      udpBound: [this.rtpBound && b.rtpPort, this.rtcpBound && b.rtcpPort].filter((p): p is number => p !== false),
      tcpConnections: [],
      dialling: false,
    };
  });

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

  /** A batch on the RTP socket: `count` datagrams in the area's slots. One clock reading serves the batch. */
  private onRtp(count: number): void {
    const media = this.media;
    const area = this.area;
    const slab = area.slab;
    const now = media.now();
    for (let i = 0; i < count; i++) {
      if (media.closing) return;
      if ((area.flags[i] & TRUNCATED) !== 0) {
        this.droppedInvalid++;
        continue;
      }
      const start = area.start(i);
      const end = start + area.lengths[i];
      const feed = this.feed;
      if (feed === null) this.tryLatch(i, start, end, now);
      else if (this.peer!.is(area, i)) feed.pushPacket(slab, start, end, now, true);
      else this.foreign(i, 'not-the-latched-peer');
    }
  }

  /** Not latched yet: only an RTP v2 packet with the lease's SSRC, from peerAddress when set, latches. */
  private tryLatch(i: number, start: number, end: number, now: number): void {
    const area = this.area;
    const slab = area.slab;
    if (end - start < RTP_HEADER_BYTES || slab[start] >> 6 !== 2 || isRtcp(slab, start)) {
      this.droppedInvalid++;
      return;
    }
    if (this.allowedPeer !== null && !this.allowedPeer.hasAddressOf(area, i)) {
      this.foreign(i, 'address-not-allowed');
      return;
    }
    if (!this.media.checkSsrc(slab.readUInt32BE(start + 8))) {
      this.media.countForeignSsrc();
      return;
    }
    this.peer = UdpPeer.of(area, i);
    const latched = this.media.beginFeed(sourceText(area, i));
    this.feed = latched;
    latched.pushPacket(slab, start, end, now, true);
  }

  /** RTCP from the latched peer's address (or, before latching, from any allowed address) is counted. */
  private onRtcp(count: number): void {
    const area = this.area;
    const slab = area.slab;
    for (let i = 0; i < count; i++) {
      if (this.media.closing) return;
      const start = area.start(i);
      const end = start + area.lengths[i];
      if ((area.flags[i] & TRUNCATED) !== 0 || end - start < RTCP_MIN_BYTES || !isRtcp(slab, start)) continue;
      const from = this.peer ?? this.allowedPeer;
      if (from !== null && !from.hasAddressOf(area, i)) continue;
      this.media.rtcp.count(slab, start, end);
    }
  }

  private foreign(i: number, why: string): void {
    this.droppedForeignPeer++;
    if (!this.media.mayReportRejection) return;
    const source = sourceText(this.area, i);
    // One event per new source while the lease's cap lasts; past it, sources are only counted
    // (and no longer remembered, so a flood of spoofed sources grows nothing).
    if (this.reportedSources.has(source)) return;
    if (this.media.reportRejection({ peer: source, port: this.media.binding.rtpPort, why })) this.reportedSources.add(source);
  }
}
