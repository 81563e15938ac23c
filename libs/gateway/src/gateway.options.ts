export interface GatewayOptions {
  /** where stream listeners bind (MEDIA_BIND_HOST) */
  bindHost: string;
  /** a live-pull client further behind than this many bytes is dropped (default 2 MiB) */
  liveMaxBacklogBytes?: number;
}

export const GATEWAY_OPTIONS = Symbol('GATEWAY_OPTIONS');

export const DEFAULT_LIVE_MAX_BACKLOG_BYTES = 2 * 1024 * 1024;
