import type { LeaseState, ReconcileFindingRecord, ReconcileReportRecord } from '@app/leasing';
import type { TcpSocket } from '../os/tcp-socket';
import type { UdpSocket } from '../os/udp-socket';

/** The contract's finding kinds. */
export const FINDING_KINDS = [
  'orphan-listener',
  'ghost-lease',
  'overdue-lease',
  'foreign-occupant',
  'quarantine-cleared',
  'stuck-connection',
  'orphan-forward',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * What a pass did about a finding, whatever its kind. `pending`: seen, but a racy finding is
 * acted on only after enough passes in a row and a minimum age; `deferred`: would have acted,
 * but the OS view could not be trusted this pass; `reported`: nothing the service can safely
 * do; `skipped`: the situation resolved itself between the comparison and the action;
 * `failed`: the action threw.
 */
export type GuardAction = 'pending' | 'deferred' | 'reported' | 'skipped' | 'failed';

/** The repair each kind can end in, besides the guard actions. */
export interface RepairActions {
  'overdue-lease': 'expired';
  'ghost-lease': 're-opened' | 'ended';
  'orphan-listener': 'closed';
  'foreign-occupant': 'quarantined';
  'quarantine-cleared': 'cleared';
  'stuck-connection': 'destroyed';
  'orphan-forward': 'closed';
}

export type FindingAction = RepairActions[FindingKind] | GuardAction;

/** One finding of a pass as reported: a discriminated union on `kind`, each with the actions it allows. */
export type ReconcileFinding = {
  [K in FindingKind]: Omit<ReconcileFindingRecord, 'kind' | 'action'> & { kind: K; action: RepairActions[K] | GuardAction };
}[FindingKind];
export type ReconcileReport = Omit<ReconcileReportRecord, 'findings'> & { findings: ReconcileFinding[] };

interface Sighting {
  /** identity across passes for the two-pass guard; null when the finding is not racy */
  key: string | null;
  /** true when only the OS view shows it (so an untrusted OS view can neither show nor act on it) */
  fromOs: boolean;
}

/** Every detail is also readable as plain fields (reports and logs spread it). */
type Detail<T> = T & Record<string, unknown>;

/** One difference between the ledger, the gateway and the OS, before anything is done about it. */
export type Observation = Sighting &
  (
    | { kind: 'overdue-lease'; port: number; leaseId: string; detail: Detail<{ state: LeaseState; expiresAt: string; overdueMs: number }> }
    | {
        kind: 'ghost-lease';
        port: number;
        leaseId: string;
        detail: Detail<{ state: LeaseState; listener: 'closed' | 'missing' | 'not-in-os'; missingPorts?: number[] }>;
      }
    | {
        kind: 'orphan-listener';
        port: number;
        leaseId: string;
        detail: Detail<{ holder: 'gateway'; listening: boolean; connected: boolean }>;
      }
    | {
        kind: 'orphan-listener';
        port: number;
        leaseId: null;
        detail: Detail<{ holder: 'process'; protocol: 'tcp' | 'udp'; address: string; inode: number }>;
      }
    | {
        kind: 'stuck-connection';
        port: number;
        leaseId: string | null;
        detail: Detail<{ state: string; local: string; peer: string; retransmits: number; inode: number }>;
        socket: TcpSocket;
      }
    | {
        kind: 'foreign-occupant';
        port: number;
        /** the pair the socket's port belongs to */
        rtpPort: number;
        leaseId: string | null;
        detail: Detail<{
          protocol: 'tcp' | 'udp';
          state: string;
          address: string;
          uid: number;
          inode: number;
          quarantinedAs: string | null;
        }>;
        socket: TcpSocket | UdpSocket;
      }
    | { kind: 'quarantine-cleared'; port: number; leaseId: null; detail: Detail<{ reason: string; since: string; owner: unknown }> }
    | {
        /** a forward connection of the gateway's that no open session of its lease owns; `port`: its local port */
        kind: 'orphan-forward';
        port: number | null;
        leaseId: string;
        detail: Detail<{ to: string; state: string; leaseActive: boolean }>;
      }
  );
