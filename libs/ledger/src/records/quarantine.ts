export interface PortOwner {
  pid: number | null;
  command: string | null;
  uid: number | null;
}

/** A pair the service may not hand out because something else held one of its ports. */
export interface QuarantineEntry {
  nodeId: string;
  rtpPort: number;
  rtcpPort: number;
  /** the port that could not be bound, or that another process was seen holding */
  port: number;
  reason: string;
  owner: PortOwner;
  since: number;
}
