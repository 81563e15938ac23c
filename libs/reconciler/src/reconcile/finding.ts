import type { ReconcileFindingRecord, ReconcileReportRecord } from '@app/ledger';
import type { TcpSocket } from '../os/tcp-socket';

/** The contract's finding kinds. */
export const FINDING_KINDS = [
  'orphan-listener',
  'ghost-lease',
  'overdue-lease',
  'foreign-occupant',
  'quarantine-cleared',
  'stuck-connection',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * What a pass did about a finding. `pending`: seen, but a racy finding is acted on only after
 * enough passes in a row and a minimum age; `deferred`: would have acted, but the OS view could
 * not be trusted this pass; `reported`: nothing the service can safely do; `skipped`: the
 * situation resolved itself between the comparison and the action; `failed`: the action threw.
 */
export type FindingAction =
  | 'closed'
  | 're-opened'
  | 'ended'
  | 'expired'
  | 'quarantined'
  | 'cleared'
  | 'destroyed'
  | 'pending'
  | 'deferred'
  | 'reported'
  | 'skipped'
  | 'failed';

export type ReconcileFinding = ReconcileFindingRecord & { kind: FindingKind; action: FindingAction };
export type ReconcileReport = ReconcileReportRecord & { findings: ReconcileFinding[] };

/** One difference between the ledger, the gateway and the OS, before anything is done about it. */
export interface Observation {
  kind: FindingKind;
  /** identity across passes for the two-pass guard; null when the finding is not racy */
  key: string | null;
  /** true when only the OS view shows it (so an untrusted OS view can neither show nor act on it) */
  fromOs: boolean;
  port: number | null;
  leaseId: string | null;
  detail: Record<string, unknown>;
  socket?: TcpSocket;
}
