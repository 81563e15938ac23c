/** The contract's `stats.forward` of a forwarding lease. */
export type ForwardState = 'idle' | 'connecting' | 'up' | 'down';

// A type alias (not an interface) so it is assignable to the ledger's Record<string, unknown>.
export type ForwardStats = {
  /** the target URL */
  to: string;
  /** idle: nothing to send yet; connecting; up; down (the last attempt failed or the connection dropped) */
  state: ForwardState;
  /** RTP packets handed to the forward socket */
  packets: number;
  /** their bytes (RTP header + payload, without the RFC 4571 prefix) */
  bytes: number;
  /** packets that did not fit the lease's forward buffer */
  dropped: number;
  /** connection openings after the first */
  reconnects: number;
  /** why the connection last failed or dropped, null while it never did */
  lastError: string | null;
  /** `rtp/<8 upper-case hex digits>` of the SSRC written into forwarded packets; null until known */
  mediaStream: string | null;
};

/** A change of a forward connection the lease's events and webhooks report. */
export interface ForwardChange {
  state: 'up' | 'down';
  to: string;
  error: string | null;
  reconnects: number;
}
