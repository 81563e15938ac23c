import { createServer, type Server, type Socket } from 'node:net';
import { BindError } from './bind.error';
import { closeServer } from './close-server';

export type ConnectionHandler = (socket: Socket, which: 'rtp' | 'rtcp') => void;

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new BindError(port, err.code ?? 'EUNKNOWN', err));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // exclusive: never share the port through the cluster module; the real listen() is the
    // only test of a port (docs/ARCHITECTURE.md#invariants, rule 2), so no probing happens anywhere else.
    server.listen({ host, port, exclusive: true, backlog: 8 });
  });
}

/**
 * The two TCP listeners of one lease, opened as a unit: if either listen fails, the other is
 * closed before the error is thrown, so no half-open pair exists (docs/ARCHITECTURE.md#invariants, rule 1).
 */
export class ListenerPair {
  readonly rtp: Server;
  readonly rtcp: Server;
  /** every accepted socket, so close() can destroy them and await the servers' close */
  readonly sockets = new Set<Socket>();

  constructor(
    readonly host: string,
    readonly rtpPort: number,
    readonly rtcpPort: number,
    onConnection: ConnectionHandler,
  ) {
    const track = (which: 'rtp' | 'rtcp') => (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      onConnection(socket, which);
    };
    this.rtp = createServer({ noDelay: true }, track('rtp'));
    this.rtcp = createServer({ noDelay: true }, track('rtcp'));
    // After listen, an error on a server object must never crash the process.
    this.rtp.on('error', () => undefined);
    this.rtcp.on('error', () => undefined);
  }

  async open(): Promise<void> {
    try {
      await listenOn(this.rtp, this.host, this.rtpPort);
      await listenOn(this.rtcp, this.host, this.rtcpPort);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  get listening(): boolean {
    return this.rtp.listening && this.rtcp.listening;
  }

  /** Resolves when both listeners and every accepted socket are closed. */
  async close(): Promise<void> {
    const sockets = [...this.sockets];
    await Promise.all([closeServer(this.rtp, sockets), closeServer(this.rtcp, [])]);
  }
}
