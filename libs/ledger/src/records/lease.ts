/** Lease states of the contract. The first three are "active": they hold a port pair. */
export const ACTIVE_STATES = ['reserved', 'listening', 'streaming'] as const;
export const TERMINAL_STATES = ['released', 'expired', 'reclaimed', 'failed'] as const;
export type ActiveState = (typeof ACTIVE_STATES)[number];
export type TerminalState = (typeof TERMINAL_STATES)[number];
export type LeaseState = ActiveState | TerminalState;

/** The three GB28181 media transports (CONTRACT "Transports"); tcp-passive is the default. */
export const TRANSPORTS = ['tcp-passive', 'udp', 'tcp-active'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export function isActiveState(state: string): state is ActiveState {
  return (ACTIVE_STATES as readonly string[]).includes(state);
}

/** The lease as the rest of the service sees it: plain data, times in epoch milliseconds. */
export interface Lease {
  id: string;
  nodeId: string;
  streamId: string;
  host: string;
  rtpPort: number;
  rtcpPort: number;
  transport: Transport;
  state: LeaseState;
  ssrc: string | null;
  /** tcp-passive/udp: the only address allowed to send; tcp-active: the device's address to dial */
  peerAddress: string | null;
  /** tcp-active: the device's port to dial (null until known); always null for the other transports */
  peerPort: number | null;
  client: string | null;
  record: boolean;
  recordPath: string | null;
  /** where the stream is forwarded (`tcp://HOST:PORT` | `udp://HOST:PORT`), null: not forwarded */
  forward: string | null;
  /** the SSRC written into forwarded packets, 10-digit form; null: the lease's ssrc, else the device's */
  forwardSsrc: string | null;
  ttlS: number;
  connectTimeoutS: number;
  idleTimeoutS: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  releasedAt: number | null;
  releaseReason: string | null;
  finalStats: Record<string, unknown> | null;
}

/** What the ledger writes when a lease ends: its terminal state and the reason text. */
export interface LeaseEnd {
  state: TerminalState;
  reason: string;
}

export interface LeaseEvent {
  type: string;
  at: number;
  detail: Record<string, unknown> | null;
}
