import type { Socket } from 'node:net';
import type { LeaseMedia } from './lease-media';
import { normalizeAddress } from './peer-address';

/**
 * One device TCP connection carrying RTP (tcp-passive: accepted; tcp-active: dialled): its
 * feed, the no-media rule, stream errors and the close, the same for both TCP transports.
 * A connection is not a sign of life: one that delivers no accepted packet within
 * `noMediaTimeoutMs` is closed (`no-media`), so a silent or foreign-SSRC peer can neither hold
 * the device's place nor keep an abandoned lease alive by reconnecting.
 */
export class RtpConnection {
  /** why the connection closed, as `peer-disconnected` says it */
  private why = 'peer-closed';
  readonly peer: string;

  constructor(
    readonly socket: Socket,
    media: LeaseMedia,
    noMediaTimeoutMs: number,
    /** after the socket's close, once the feed is folded in */
    onClosed: (conn: RtpConnection) => void,
  ) {
    this.peer = peerOf(socket);
    socket.setKeepAlive(true, 10_000);
    const feed = media.beginFeed(this.peer);
    const noMedia = setTimeout(() => this.drop('no-media'), noMediaTimeoutMs).unref();
    feed.onStreaming = () => clearTimeout(noMedia);
    socket.on('data', (chunk: Buffer) => {
      const err = feed.push(chunk, media.now());
      if (err === null || socket.destroyed) return;
      this.why = `stream-error: ${err.code}`;
      socket.destroy();
      media.streamError(this.peer, 'rtp', err);
    });
    socket.once('close', () => {
      clearTimeout(noMedia);
      const truncated = feed.ingest.finish()?.code === 'truncated';
      media.endFeed(feed, this.why, truncated);
      onClosed(this);
    });
  }

  /** Destroys the connection, saying why in its `peer-disconnected`. */
  drop(why: string): void {
    if (this.socket.destroyed) return;
    this.why = why;
    this.socket.destroy();
  }

  /** Destroys the connection and runs `fn` after its close (and its `peer-disconnected`). */
  dropThen(why: string, fn: () => void): void {
    this.socket.once('close', fn);
    this.drop(why);
  }
}

/** "address:port" of a socket's peer, the address in normalizeAddress form. */
export function peerOf(socket: Socket): string {
  return `${normalize(socket.remoteAddress)}:${socket.remotePort}`;
}

/** A socket's remoteAddress in normalizeAddress form ("::ffff:192.0.2.10" → "192.0.2.10"). */
export function normalize(address: string | undefined): string {
  return address ? normalizeAddress(address) : '';
}
