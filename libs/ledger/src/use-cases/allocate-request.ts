/** What a caller may ask for; only streamId is required. Validated by the entry point. */
export interface AllocateRequest {
  streamId: string;
  /** decimal string in 0..4294967295 */
  ssrc?: string;
  peerAddress?: string;
  ttlSeconds?: number;
  connectTimeoutSeconds?: number;
  idleTimeoutSeconds?: number;
  client?: string;
  record?: boolean;
  /** a specific pair (the ZLMediaKit-compatible API's `port`); otherwise the LRU pair */
  rtpPort?: number;
}

export interface AllocateResult {
  lease: import('../domain/lease').Lease;
  /** false when an identical request found the stream's active lease (200, not 201) */
  created: boolean;
}
