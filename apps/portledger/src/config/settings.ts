import type { TestCrashKind } from './environment';
import type { PortRange } from './port-range';

/** The validated, typed configuration the rest of the service reads. */
export interface Settings {
  http: { host: string; port: number; authTokens: string[] };
  database: DatabaseSettings;
  nodeId: string;
  media: {
    bindHost: string;
    advertisedHost: string;
    range: PortRange;
    recordDir: string;
    livePullsPerLease: number;
    recordMaxBytes: number;
    recordRetentionDays: number;
    /** FORWARD_TO, normalised: every lease's default forward target, or null */
    forwardTo: string | null;
    /** FORWARD_BUFFER_BYTES: each forwarding lease's buffer */
    forwardBufferBytes: number;
    /** FORWARD_BUFFER_TOTAL_BYTES: what every lease's forward holds together, at most */
    forwardBufferTotalBytes: number;
    /** FORWARD_BATCH_MS: how long a TCP forward gathers packets into one write (0: after every read) */
    forwardBatchMs: number;
  };
  leaseDefaults: { ttlS: number; connectTimeoutS: number; idleTimeoutS: number };
  reconcile: { intervalS: number; cron: string | null; minAgeS: number };
  webhook: { url: string | null; secret: string | null };
  zlmApiSecret: string | null;
  retention: { historyDays: number; reportDays: number };
  log: { level: string; format: 'json' | 'pretty'; requests: boolean };
  testDelayAfterInsertMs: number;
  testCrashOnSigusr2: TestCrashKind | null;
  testDelayBeforePullMs: number;
  /** RESUME_RETRY_S: re-open retries at boot for listen errors that are not about the pair */
  resumeRetryS: number;
}

export type DatabaseSettings = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; statementTimeoutMs: number };
