/** How a simulated device carries its packets: the three GB28181 media transports. */
export type DeviceTransport = 'tcp-passive' | 'tcp-active' | 'udp';
export const DEVICE_TRANSPORTS: readonly DeviceTransport[] = ['tcp-passive', 'tcp-active', 'udp'];

export interface LinkEvents {
  /** packets may flow (connected, dialled, or bound); called again after each re-dial */
  ready(): void;
  /** the link can take more after `send` returned false */
  drain(): void;
  /** the current connection is gone; `final` when the link will never be ready again */
  closed(final: boolean, error: string | null): void;
}

/**
 * One device's wire. `send` takes frames as the capture gives them (RFC 4571 or RFC 2326
 * framed); a TCP link writes them as they are, the UDP link sends each RTP packet as one
 * datagram without the frame header.
 */
export interface DeviceLink {
  readonly transport: DeviceTransport;
  readonly connected: boolean;
  /** bytes accepted by `send` and not yet handed to the kernel */
  readonly backlog: number;
  start(events: LinkEvents): Promise<void>;
  /** frames with `headerBytes` of frame header each (2: RFC 4571, 4: RFC 2326); false: wait for `drain` */
  send(frames: Buffer, headerBytes: number): boolean;
  /** the device stops: ends the connection after what was sent, stops listening */
  finish(): void;
}
