import type { TcpSocket } from '../os/tcp-socket';
import type { UdpSocket } from '../os/udp-socket';
import type { Observation } from './finding';

/** What the reconciler asks libs/leasing to do about one observation. */
export type Repair =
  | { do: 'expire'; leaseId: string }
  | { do: 'reopen'; leaseId: string; osSaysMissing: boolean; endOnBindFailure: boolean }
  | { do: 'close-orphan'; leaseId: string; port: number }
  | { do: 'close-forward'; leaseId: string }
  | { do: 'report'; why: string }
  | { do: 'quarantine-foreign'; socket: TcpSocket | UdpSocket; rtpPort: number }
  | { do: 'clear-quarantine'; rtpPort: number }
  | { do: 'disconnect'; leaseId: string | null; why: string };

export type Decision =
  | { verdict: 'pending'; detail: { seenPasses: number; firstSeenAt: string } }
  | { verdict: 'skip'; why: string }
  | { verdict: 'defer' }
  | { verdict: 'act'; repair: Repair };

export interface DecisionContext {
  now: number;
  /** how often and since when a racy observation has been seen in a row; null when it is not racy */
  seen: { passes: number; firstSeen: number } | null;
  confirmPasses: number;
  minAgeMs: number;
  /** the OS view could not be trusted this pass */
  deferred: boolean;
  /** the service is shutting down */
  closing: boolean;
}

/**
 * Whether and how to act on one observation. Pure. Guards: a racy observation needs
 * `confirmPasses` passes in a row and `minAgeMs` of age; on an untrusted OS view, lost
 * listeners are still re-opened and overdue leases still expire (both need only the ledger and
 * the gateway), while every reclaim waits for a pass that can see.
 */
export function decide(o: Observation, c: DecisionContext): Decision {
  if (c.seen && (c.seen.passes < c.confirmPasses || c.now - c.seen.firstSeen < c.minAgeMs)) {
    return { verdict: 'pending', detail: { seenPasses: c.seen.passes, firstSeenAt: new Date(c.seen.firstSeen).toISOString() } };
  }
  if (c.closing) return { verdict: 'skip', why: 'shutting down' };
  // An orphan forward is seen in the gateway's own registry, not the OS: no reason to wait either.
  if (c.deferred && o.kind !== 'ghost-lease' && o.kind !== 'overdue-lease' && o.kind !== 'orphan-forward') return { verdict: 'defer' };
  return { verdict: 'act', repair: repairOf(o, c.deferred) };
}

function repairOf(o: Observation, deferred: boolean): Repair {
  switch (o.kind) {
    case 'overdue-lease':
      return { do: 'expire', leaseId: o.leaseId };
    case 'ghost-lease':
      return { do: 'reopen', leaseId: o.leaseId, osSaysMissing: o.detail.listener === 'not-in-os', endOnBindFailure: !deferred };
    case 'orphan-listener':
      // Our process holds the socket, but nothing registered it: there is no handle to close
      // it through, and closing a raw fd under libuv would corrupt whichever handle reuses it.
      if (o.leaseId === null) return { do: 'report', why: 'held by this process outside the gateway; restart the service to free it' };
      return { do: 'close-orphan', leaseId: o.leaseId, port: o.port };
    case 'foreign-occupant':
      return { do: 'quarantine-foreign', socket: o.socket, rtpPort: o.rtpPort };
    case 'quarantine-cleared':
      return { do: 'clear-quarantine', rtpPort: o.port };
    case 'orphan-forward':
      return { do: 'close-forward', leaseId: o.leaseId };
    case 'stuck-connection':
      return { do: 'disconnect', leaseId: o.leaseId, why: `reconciler: ${o.detail.state} to ${o.detail.peer}` };
  }
}
