import { isRtcp, StreamDeframer, type FrameHandler } from '@app/rtp';
import type { Socket } from 'node:net';
import type { LeaseMedia } from './lease-media';
import { ListenerPair } from './listener-pair';
import { SocketsViewMemo, type LeaseSocketsView, type MediaSockets } from './media-sockets';
import { normalizeAddress } from './peer-address';
import { normalize, peerOf, RtpConnection } from './rtp-connection';

/**
 * TCP-PASSIVE (GB28181 `a=setup:passive`): the device connects to us. Two listeners (RTP on
 * rtpPort, RTCP on rtcpPort); one device connection per port at a time — a further one is
 * accepted and closed at once (`peer-rejected`), as is one not from peerAddress.
 */
export class TcpPassiveSockets implements MediaSockets {
  readonly pair: ListenerPair;
  private device: RtpConnection | null = null;
  private rtcpPeer: Socket | null = null;
  /** the lease's peerAddress in normalizeAddress form, so it compares with remoteAddress */
  private readonly allowedPeer: string | null;

  constructor(
    host: string,
    private readonly media: LeaseMedia,
    private readonly noMediaTimeoutMs: number,
  ) {
    const b = media.binding;
    this.allowedPeer = b.peerAddress === null ? null : normalizeAddress(b.peerAddress);
    this.pair = new ListenerPair(host, b.rtpPort, b.rtcpPort, (s, which) => (which === 'rtp' ? this.acceptDevice(s) : this.acceptRtcp(s)));
  }

  open(): Promise<void> {
    return this.pair.open();
  }

  /** Stops accepting, destroys the connections, resolves once the listeners and connections are closed. */
  close(): Promise<void> {
    return this.pair.close();
  }

  get connected(): boolean {
    return this.device !== null;
  }

  get listening(): boolean {
    return this.pair.listening;
  }

  disconnect(why: string): boolean {
    const had = this.device !== null || this.rtcpPeer !== null;
    this.device?.drop(why);
    this.rtcpPeer?.destroy();
    return had;
  }

  dropThen(why: string, fn: () => void): void {
    if (this.device === null) return fn();
    this.device.dropThen(why, fn);
  }

  view(): LeaseSocketsView {
    return this.shown.view(Number(this.pair.rtp.listening) | (Number(this.pair.rtcp.listening) << 1), this.device, this.rtcpPeer);
  }

  private readonly shown = new SocketsViewMemo((): LeaseSocketsView => {
    const b = this.media.binding;
    const conns: Array<LeaseSocketsView['tcpConnections'][number]> = [];
    if (this.device) conns.push({ localPort: b.rtpPort, remote: this.device.peer, dialled: false });
    if (this.rtcpPeer) conns.push({ localPort: b.rtcpPort, remote: peerOf(this.rtcpPeer), dialled: false });
    return {
      transport: 'tcp-passive',
      tcpListening: [this.pair.rtp.listening && b.rtpPort, this.pair.rtcp.listening && b.rtcpPort].filter((p): p is number => p !== false),
      udpBound: [],
      tcpConnections: conns,
      dialling: false,
    };
  });

  stats(): Record<string, never> {
    return {};
  }

  private acceptDevice(socket: Socket): void {
    if (this.reject(socket, this.device !== null)) return;
    this.device = new RtpConnection(socket, this.media, this.noMediaTimeoutMs, (conn) => {
      if (this.device === conn) this.device = null;
    });
  }

  private acceptRtcp(socket: Socket): void {
    if (this.reject(socket, this.rtcpPeer !== null)) return;
    this.rtcpPeer = socket;
    const idleS = this.media.binding.idleTimeoutS;
    // Silence on the RTCP port frees its slot after the lease's idle timeout, as on the RTP port.
    if (idleS > 0) {
      socket.setTimeout(idleS * 1000);
      socket.once('timeout', () => socket.destroy());
    }
    const deframer = new StreamDeframer();
    const counters = this.media.rtcp;
    // RTP on the RTCP port is ignored: it is never mixed into the media.
    const onFrame: FrameHandler = (buf, start, end) => {
      if (isRtcp(buf, start)) counters.count(buf, start, end);
    };
    socket.on('data', (chunk: Buffer) => {
      const err = deframer.push(chunk, onFrame);
      if (err === null || socket.destroyed) return;
      socket.destroy();
      this.media.streamError(peerOf(socket), 'rtcp', err);
    });
    socket.once('close', () => {
      if (this.rtcpPeer === socket) this.rtcpPeer = null;
    });
  }

  /** Closes a connection that must not be served; true when it was rejected. */
  private reject(socket: Socket, busy: boolean): boolean {
    socket.on('error', () => undefined);
    if (this.media.closing) {
      socket.destroy();
      return true;
    }
    const wrongPeer = this.allowedPeer !== null && normalize(socket.remoteAddress) !== this.allowedPeer;
    if (!busy && !wrongPeer) return false;
    const peer = peerOf(socket);
    const port = socket.localPort;
    socket.destroy();
    // Anyone who reaches the port can knock: report the first few, count them all.
    this.media.peerRejected({ peer, port, why: wrongPeer ? 'address-not-allowed' : 'already-connected' });
    return true;
  }
}
