/** The GB28181 media transport of a lease (CONTRACT "Transports"). */
export type MediaTransport = 'tcp-passive' | 'udp' | 'tcp-active';

/** What the gateway needs to serve one lease's sockets. */
export interface LeaseBinding {
  leaseId: string;
  streamId: string;
  rtpPort: number;
  rtcpPort: number;
  /** which sockets the lease holds: TCP listeners (tcp-passive), UDP sockets (udp), or a dialled connection (tcp-active) */
  transport: MediaTransport;
  /** expected SSRC; packets with another one are dropped and counted */
  ssrc: number | null;
  /** tcp-passive/udp: the only address allowed to send, when set; tcp-active: the device's address to dial */
  peerAddress: string | null;
  /** tcp-active: the device's port to dial; with peerAddress, open() starts dialling */
  peerPort: number | null;
  connectTimeoutS: number;
  idleTimeoutS: number;
  /** where to write the PS, when the lease records */
  recordPath: string | null;
  /** where the stream is forwarded (`tcp://HOST:PORT` | `udp://HOST:PORT`), or null */
  forward?: string | null;
  /** the SSRC written into forwarded packets; null: the lease's ssrc, else the device's */
  forwardSsrc?: number | null;
}
