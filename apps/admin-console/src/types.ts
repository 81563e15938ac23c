/** The API shapes the console reads (only what it relies on; everything else is shown generically). */
export type Lease = Record<string, unknown> & {
  id: string;
  streamId: string;
  state: string;
  rtpPort: number;
  rtcpPort: number;
  nodeId: string;
};

export interface PairCell {
  rtpPort: number;
  rtcpPort: number;
  state: string;
  lease: Lease | null;
  live: Record<string, unknown> | null;
  quarantine: QuarantineEntry | null;
}

export interface PairGrid {
  nodeId: string;
  range: { start: number; end: number };
  totals: { pairs: number; free: number; leased: number; quarantined: number; byState: Record<string, number> };
  pairs: PairCell[];
  warnings: string[];
}

export interface QuarantineEntry {
  port: number;
  rtpPort: number;
  rtcpPort: number;
  reason: string;
  owner: { pid: number | null; command: string | null; uid: number | null };
  since: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface LeaseEvent {
  type: string;
  at: string;
  detail: Record<string, unknown> | null;
}

export type LeaseDetail = Lease & { stats: Record<string, unknown> | null; events: LeaseEvent[] };

export interface FleetNode {
  nodeId: string;
  host: string | null;
  pid: number | null;
  running: boolean;
  self: boolean;
}

/** What every view is given: where to draw, which node to look at. */
export interface ViewContext {
  root: HTMLElement;
  /** the node chosen in the node switch; undefined = the node that serves the page */
  node: string | undefined;
}
