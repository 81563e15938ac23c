import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP-ACTIVE device: it listens on 127.0.0.1:`port` and waits to be dialled (GB28181
 * `a=setup:passive` on the device side). It keeps every connection the service made, so a test
 * can push media on it, close it, or count the dials.
 */
export interface ListeningDevice {
  port: number;
  /** every connection accepted so far, oldest first */
  connections: Socket[];
  /** the newest connection, once there is one */
  connected(index?: number): Promise<Socket>;
  close(): Promise<void>;
}

export async function listeningDevice(port: number): Promise<ListeningDevice> {
  const connections: Socket[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
    connections.push(socket);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
  return {
    port,
    connections,
    async connected(index) {
      const i = index ?? 0;
      while (connections.length <= i) await new Promise<void>((r) => waiters.push(r));
      return connections[i];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of connections) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `bytes` on the connection and resolves once they are handed to the kernel. */
export async function write(socket: Socket, bytes: Buffer): Promise<void> {
  if (!socket.write(bytes)) await new Promise((r) => socket.once('drain', r));
}

/**
 * A device comes up on `port` after its lease ended and listens for longer than the dial
 * spacing: the connections it got (none, when no retry outlived the lease).
 */
export async function dialsAfterTheEnd(port: number, listenMs = 1500): Promise<Socket[]> {
  const device = await listeningDevice(port);
  try {
    await new Promise((r) => setTimeout(r, listenMs));
    return [...device.connections];
  } finally {
    await device.close();
  }
}
