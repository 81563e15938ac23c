/** What the gateway needs to serve one lease's listener pair. */
export interface LeaseBinding {
  leaseId: string;
  streamId: string;
  rtpPort: number;
  rtcpPort: number;
  /** expected SSRC; packets with another one are dropped and counted */
  ssrc: number | null;
  /** the only address allowed to connect, when set */
  peerAddress: string | null;
  connectTimeoutS: number;
  idleTimeoutS: number;
  /** where to write the PS, when the lease records */
  recordPath: string | null;
  /** where the stream is forwarded (`tcp://HOST:PORT` | `udp://HOST:PORT`), or null */
  forward?: string | null;
  /** the SSRC written into forwarded packets; null: the lease's ssrc, else the device's */
  forwardSsrc?: number | null;
}
