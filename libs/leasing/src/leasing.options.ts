import type { LedgerDatabaseConfig } from '@app/ledger';

/** What leasing needs to know about this node; the app builds it from validated settings. */
export interface LeasingOptions {
  database: LedgerDatabaseConfig;
  nodeId: string;
  range: { start: number; end: number };
  bindHost: string;
  advertisedHost: string;
  leaseDefaults: { ttlS: number; connectTimeoutS: number; idleTimeoutS: number };
  /** where leases with record=true write their .ps file */
  recordDir: string;
  /** FORWARD_TO: where leases forward their stream unless they say otherwise (null: nowhere) */
  forwardTo?: string | null;
  /** WEBHOOK_URL is set: state changes also write webhook events into the outbox */
  webhooks?: boolean;
  /** ended leases (and their events) older than this are pruned, hourly; default 90 */
  historyRetentionDays?: number;
  /** Test-only pause between the ledger insert and listen(), so e2e tests can kill -9 there. */
  testDelayAfterInsertMs?: number;
  /**
   * A lease whose re-open at boot fails for a reason that is not about its pair (bind address
   * not up, out of descriptors) stays active and is retried with backoff for this long; default 300.
   */
  resumeRetryS?: number;
}

export const LEASING_OPTIONS = Symbol('LEASING_OPTIONS');
