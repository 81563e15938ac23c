/** What the reconciler needs beyond the ledger's options (node, range, bind host). */
export interface ReconcilerOptions {
  /** RECONCILE_INTERVAL_S: seconds between scheduled passes */
  intervalS: number;
  /** RECONCILE_CRON: when set, passes run at these times instead of every intervalS */
  cron?: string | null;
  /** REPORT_RETENTION_DAYS: reports older than this are pruned (default 7) */
  reportRetentionDays?: number;
  /** at most this many reports are kept per node, whatever their age (default 50,000) */
  maxReports?: number;
  /** a racy finding is acted on only once it is at least this old (default 10 s) */
  minAgeMs?: number;
  /** ... and seen in this many passes in a row (default 2) */
  confirmPasses?: number;
  /** an established connection with this many unanswered retransmissions has a dead peer (default 5) */
  deadPeerRetransmits?: number;
  /** where procfs is mounted (default /proc) */
  procRoot?: string;
}

export type ResolvedReconcilerOptions = Required<ReconcilerOptions>;

export function resolveReconcilerOptions(o: ReconcilerOptions): ResolvedReconcilerOptions {
  return {
    intervalS: o.intervalS,
    cron: o.cron ?? null,
    reportRetentionDays: o.reportRetentionDays ?? 7,
    maxReports: o.maxReports ?? 50_000,
    minAgeMs: o.minAgeMs ?? 10_000,
    confirmPasses: o.confirmPasses ?? 2,
    deadPeerRetransmits: o.deadPeerRetransmits ?? 5,
    procRoot: o.procRoot ?? '/proc',
  };
}

export const RECONCILER_OPTIONS = Symbol('RECONCILER_OPTIONS');
