import { connect, type Socket } from 'node:net';
import type { DeviceLink, LinkEvents } from './device-link';

/** TCP-PASSIVE (`a=setup:passive` on the media host): the device connects to the lease's RTP port. */
export class TcpPassiveLink implements DeviceLink {
  readonly transport = 'tcp-passive' as const;
  connected = false;
  private socket: Socket | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get backlog(): number {
    return this.socket?.writableLength ?? 0;
  }

  start(events: LinkEvents): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      this.socket = socket;
      let error: string | null = null;
      socket.once('connect', () => {
        this.connected = true;
        events.ready();
        resolve();
      });
      socket.on('drain', () => events.drain());
      socket.on('error', (err) => (error ??= (err as NodeJS.ErrnoException).code ?? err.message));
      socket.once('close', () => {
        this.connected = false;
        events.closed(true, error);
        resolve();
      });
      // The service sends nothing on the RTP port; read and discard anything it might.
      socket.resume();
    });
  }

  send(frames: Buffer): boolean {
    return this.socket!.write(frames);
  }

  finish(): void {
    if (this.socket && !this.socket.destroyed) this.socket.end();
  }
}
