import { createSocket, type Socket } from 'node:dgram';

/** A device sending RTP over UDP from one local port (GB28181 UDP: one datagram per RTP packet). */
export interface UdpDevice {
  socket: Socket;
  /** the local port it sends from */
  port: number;
  /** sends each packet as one datagram to 127.0.0.1:`to`, yielding now and then so the receiver keeps up */
  send(packets: Buffer[], to: number): Promise<void>;
  close(): Promise<void>;
}

export async function udpDevice(localPort = 0, localAddress = '127.0.0.1'): Promise<UdpDevice> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(localPort, localAddress, () => resolve());
  });
  socket.on('error', () => undefined);
  return {
    socket,
    port: socket.address().port,
    async send(packets, to) {
      for (let i = 0; i < packets.length; i++) {
        await new Promise<void>((resolve) => socket.send(packets[i], to, '127.0.0.1', () => resolve()));
        if (i % 32 === 31) await new Promise((r) => setImmediate(r));
      }
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
