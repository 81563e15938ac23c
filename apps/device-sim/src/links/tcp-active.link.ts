import { createServer, type Server, type Socket } from 'node:net';
import type { DeviceLink, LinkEvents } from './device-link';

/**
 * TCP-ACTIVE (`a=setup:active` on the media host): the device listens and waits to be dialled.
 * One connection at a time carries the stream; a further one is closed at once. When the
 * media host drops the connection the device keeps listening, as a camera does, so the host
 * may dial again; `finish` ends the connection and stops listening.
 */
export class TcpActiveLink implements DeviceLink {
  readonly transport = 'tcp-active' as const;
  private server: Server | null = null;
  private socket: Socket | null = null;
  private finished = false;
  /** the address the media host must dial, known once listening */
  address: { host: string; port: number } | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get connected(): boolean {
    return this.socket !== null;
  }

  get backlog(): number {
    return this.socket?.writableLength ?? 0;
  }

  /** Resolves once listening (not once dialled: the caller tells the service where to dial). */
  start(events: LinkEvents): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket, events));
      this.server = server;
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        const a = server.address();
        this.address = { host: this.host, port: typeof a === 'object' && a ? a.port : this.port };
        resolve();
      });
      server.once('close', () => {
        if (this.socket === null) events.closed(true, null);
      });
    });
  }

  private accept(socket: Socket, events: LinkEvents): void {
    socket.on('error', () => undefined);
    if (this.socket !== null || this.finished) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    socket.on('drain', () => events.drain());
    socket.resume();
    socket.once('close', () => {
      this.socket = null;
      const final = this.finished;
      events.closed(final, null);
      if (final) this.server?.close();
    });
    events.ready();
  }

  send(frames: Buffer): boolean {
    return this.socket ? this.socket.write(frames) : true;
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.socket && !this.socket.destroyed) this.socket.end();
    else this.server?.close();
  }
}
