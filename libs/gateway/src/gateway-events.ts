export type GatewayLeaseEvent =
  | 'peer-connected'
  | 'first-packet'
  | 'ssrc-mismatch'
  | 'peer-rejected'
  | 'peer-disconnected'
  | 'stream-error'
  | 'recording-stopped'
  /** tcp-active: an attempt to reach the device failed (the first 16 per lease) */
  | 'dial-failed'
  | 'forward-down'
  | 'forward-up';

export type GatewayTimeout = 'connect-timeout' | 'idle-timeout';

/**
 * How the gateway tells the rest of the service what happened on a lease's sockets. The
 * ledger implements it (events, state, and the release routine for timeouts); the gateway
 * never writes to the database itself.
 */
export interface GatewayEventSink {
  leaseEvent(leaseId: string, type: GatewayLeaseEvent, detail: Record<string, unknown>): void;
  leaseStateChanged(leaseId: string, state: 'streaming' | 'listening'): void;
  leaseTimedOut(leaseId: string, reason: GatewayTimeout): void;
}

export const NO_EVENTS: GatewayEventSink = {
  leaseEvent: () => undefined,
  leaseStateChanged: () => undefined,
  leaseTimedOut: () => undefined,
};
