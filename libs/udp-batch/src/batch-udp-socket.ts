import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { udpBatchAddon } from './load-addon';
import type { NativeBatchSocket } from './native-types';
import { sharedReceiveArea, type ReceiveArea } from './receive-area';

export type UdpSocketType = 'udp4' | 'udp6';

/** Called once per batch of `count` datagrams, now in the area's slots 0..count-1. */
export type BatchHandler = (count: number) => void;

/** A failed socket call, shaped as Node's own (`code` is the errno name: EADDRINUSE, EADDRNOTAVAIL, ...). */
export class UdpSocketError extends Error {
  constructor(
    readonly code: string,
    readonly syscall: string,
    readonly address: string,
    readonly port: number,
  ) {
    super(`${syscall} ${code} ${address}:${port}`);
    this.name = 'UdpSocketError';
  }
}

/**
 * A UDP socket whose datagrams arrive in batches (recvmmsg, one JavaScript call per batch),
 * or that sends RFC 4571/2326-framed packets in batches (sendmmsg). Bound as a `dgram`
 * socket with `exclusive: true` and no `reuseAddr` is: no SO_REUSEADDR, so a bind is the test
 * that the port is free and ours alone; errors carry the same errno codes. It is an ordinary
 * kernel socket (/proc/net/udp lists it, with its inode and drop counter).
 *
 * A receiving socket stays alive, and keeps the event loop alive, from bind until close, as a
 * bound dgram socket does; one never bound, or closed, may be dropped and collected.
 */
export class BatchUdpSocket {
  private readonly native: NativeBatchSocket;
  private closed: Promise<void> | null = null;

  /**
   * `onBatch` null: a send-only socket (never polled). Otherwise it is called with the count of
   * datagrams waiting in `area` (the process's shared one by default).
   */
  constructor(
    readonly type: UdpSocketType,
    onBatch: BatchHandler | null,
    readonly area: ReceiveArea | null = onBatch ? sharedReceiveArea() : null,
  ) {
    const addon = udpBatchAddon();
    if (onBatch !== null && area === null) throw new TypeError('BatchUdpSocket: a receiving socket needs a ReceiveArea');
    this.native = onBatch ? new addon.BatchSocket(area!.native, onBatch) : new addon.BatchSocket();
  }

  private get family(): 4 | 6 {
    return this.type === 'udp6' ? 6 : 4;
  }

  /**
   * Binds to `host` (an address; a name is looked up first, as dgram does) and `port` (0: any),
   * asking for a receive buffer of `recvBufferBytes` (0: the kernel's default). Rejects with a
   * UdpSocketError (or the lookup's error) and leaves nothing open.
   */
  async bind(host: string, port: number, recvBufferBytes = 0): Promise<void> {
    const address = isIP(host) ? host : (await lookup(host, { family: this.family })).address;
    if (this.closed) throw new UdpSocketError('EBADF', 'bind', address, port);
    const code = this.native.bind(this.family, address, port, recvBufferBytes);
    if (code !== undefined) throw new UdpSocketError(code, 'bind', address, port);
  }

  /** Sets the one peer `sendFramed` sends to (an address, not a name). Throws UdpSocketError. */
  connect(host: string, port: number): void {
    const code = this.native.connect(this.family, host, port);
    if (code !== undefined) throw new UdpSocketError(code, 'connect', host, port);
  }

  /** The bound port; -1 before bind or after close. */
  get localPort(): number {
    return this.native.localPort();
  }

  /** SO_RCVBUF as the kernel reports it after bind (Linux: twice what it grants). */
  get recvBufferBytes(): number {
    return this.native.recvBufferSize();
  }

  /**
   * Sends every packet of `frames` (each behind a `headerBytes` frame header: 2 for RFC 4571,
   * 4 for RFC 2326) from byte `from` as one datagram each to the connected peer, in sendmmsg
   * batches, synchronously (the bytes are in the kernel when it returns). Returns the byte
   * offset reached: `frames.length` when all went out, less when the send buffer is full.
   */
  sendFramed(frames: Buffer, headerBytes: number, from = 0): number {
    return this.native.sendFramed(frames, headerBytes, from);
  }

  /** Datagrams the kernel refused (ECONNREFUSED after an ICMP unreachable, ...), skipped by sendFramed. */
  get sendErrors(): number {
    return this.native.sendErrors();
  }

  /** Stops receiving and closes the descriptor; resolves once it is closed. Idempotent. */
  close(): Promise<void> {
    return (this.closed ??= new Promise<void>((resolve) => {
      if (!this.native.close(() => resolve())) resolve();
    }));
  }
}
