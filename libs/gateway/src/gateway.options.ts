export interface GatewayOptions {
  /** where stream listeners bind (MEDIA_BIND_HOST) */
  bindHost: string;
  /** a live-pull client further behind than this many bytes is dropped (default 2 MiB) */
  liveMaxBacklogBytes?: number;
  /** an RTP connection that delivers no accepted packet this long is closed, `no-media` (default 5 s) */
  noMediaTimeoutMs?: number;
  /** RECORD_DIR: a record path that does not lie inside it is refused (unset: not checked) */
  recordDir?: string;
  /** RECORD_MAX_BYTES: a recording stops (with an event) when its file reaches this; 0 or unset = no limit */
  recordMaxBytes?: number;
  /** RECORD_RETENTION_DAYS: recordings not written for this long are deleted, hourly; 0 or unset = kept */
  recordRetentionDays?: number;
  /** FORWARD_BUFFER_BYTES: each forwarding lease's buffer (default 4 MiB, at least 1 MiB) */
  forwardBufferBytes?: number;
  /** FORWARD_BUFFER_TOTAL_BYTES: what every lease's forward may hold together (default 256 MiB; see ForwardBudget) */
  forwardBufferTotalBytes?: number;
  /** FORWARD_BATCH_MS: how long a TCP forward gathers packets into one write (default 80; 0: after every read) */
  forwardBatchMs?: number;
}

export const GATEWAY_OPTIONS = Symbol('GATEWAY_OPTIONS');

export const DEFAULT_LIVE_MAX_BACKLOG_BYTES = 2 * 1024 * 1024;

export const DEFAULT_NO_MEDIA_TIMEOUT_MS = 5000;
