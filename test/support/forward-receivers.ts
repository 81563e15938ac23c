import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

/** A media server stand-in on 127.0.0.1 that takes a TCP forward and keeps every byte, per connection. */
export interface TcpReceiver {
  port: number;
  /** bytes received, one Buffer per accepted connection, in accept order */
  connections: Buffer[][];
  /** every byte of connection `i` */
  bytes(i?: number): Buffer;
  total(): number;
  /** closes the listener and every connection (a media server that went away) */
  stop(): Promise<void>;
}

/**
 * `reading: false`: accepts and never reads (a target that stalled), so the sender's kernel
 * buffers fill and its writes queue up. `hangUp: true`: closes every connection as soon as it
 * is accepted (a flapping target).
 */
export async function tcpReceiver(port: number, opts: { reading?: boolean; hangUp?: boolean } = {}): Promise<TcpReceiver> {
  const connections: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const chunks: Buffer[] = [];
    connections.push(chunks);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    if (opts.hangUp) socket.destroy();
    else if (opts.reading === false) socket.pause();
    else socket.on('data', (c: Buffer) => chunks.push(c));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    connections,
    bytes: (i = 0) => Buffer.concat(connections[i] ?? []),
    total: () => connections.reduce((n, c) => n + c.reduce((m, b) => m + b.length, 0), 0),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A UDP receiver on 127.0.0.1 keeping every datagram in arrival order. */
export interface UdpReceiver {
  port: number;
  datagrams: Buffer[];
  stop(): Promise<void>;
}

export async function udpReceiver(port: number): Promise<UdpReceiver> {
  const datagrams: Buffer[] = [];
  const socket: UdpSocket = createSocket({ type: 'udp4', recvBufferSize: 16 * 1024 * 1024 });
  socket.on('message', (m) => datagrams.push(m));
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', () => resolve()));
  return { port, datagrams, stop: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** Splits an RFC 4571 byte stream into its packets; throws on a cut or impossible frame. */
export function rfc4571Frames(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let pos = 0;
  while (pos < stream.length) {
    if (pos + 2 > stream.length) throw new Error(`stream cut inside a length prefix at ${pos}`);
    const length = stream.readUInt16BE(pos);
    if (length < 12 || pos + 2 + length > stream.length) throw new Error(`bad frame of ${length} bytes at ${pos}`);
    frames.push(stream.subarray(pos + 2, pos + 2 + length));
    pos += 2 + length;
  }
  return frames;
}
