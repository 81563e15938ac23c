import { connect, type Socket } from 'node:net';
import { chunks } from '../fixtures/rtp/fixtures';

/** A device's TCP connection to a lease port on 127.0.0.1 (TCP-passive: the device connects). */
export interface TestDevice {
  socket: Socket;
  /** resolves when the service closed (or we closed) the connection */
  closed: Promise<void>;
  /**
   * writes `bytes` in seeded random pieces of 1..maxChunk bytes, yielding between some of them
   * (`pauseMs`: sleeping that long instead, for a device that sends at a pace rather than flat out)
   */
  push(bytes: Buffer, opts?: { seed?: number; maxChunk?: number; pauseMs?: number }): Promise<void>;
  end(): Promise<void>;
  isClosed(): boolean;
}

export function connectDevice(port: number, host = '127.0.0.1', localAddress?: string): Promise<TestDevice> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localAddress, noDelay: true });
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.once('close', () => ((isClosed = true), r())));
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('connect', () =>
      resolve({
        socket,
        closed,
        isClosed: () => isClosed,
        async push(bytes, opts = {}) {
          const pieces = chunks(bytes, opts.seed ?? 1, opts.maxChunk ?? 4096);
          for (let i = 0; i < pieces.length && !isClosed; i++) {
            if (!socket.write(pieces[i])) await new Promise((r) => socket.once('drain', r));
            if (i % 7 === 0) await new Promise((r) => (opts.pauseMs ? setTimeout(r, opts.pauseMs) : setImmediate(r)));
          }
        },
        async end() {
          socket.end();
          await closed;
        },
      }),
    );
    socket.once('error', reject);
  });
}
