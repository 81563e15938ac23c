import type { Lease } from '@app/ledger';

/** What a caller may ask for; only streamId is required. The use case normalises it (lease-input.ts). */
export interface AllocateRequest {
  streamId: string;
  /** 0..4294967295, as a number or a decimal string; stored in the 10-digit form */
  ssrc?: string | number;
  /** "tcp-passive" (default), "udp" or "tcp-active" */
  transport?: string;
  /** an IPv4 or IPv6 address; stored in one spelling. tcp-active: the device's address to dial */
  peerAddress?: string;
  /** tcp-active only: the device's port; with peerAddress the service dials at once */
  peerPort?: number;
  ttlSeconds?: number;
  connectTimeoutSeconds?: number;
  idleTimeoutSeconds?: number;
  client?: string;
  record?: boolean;
  /** `tcp://HOST:PORT` | `udp://HOST:PORT`; null: no forward even when FORWARD_TO is set; absent: FORWARD_TO */
  forward?: string | null;
  /** the SSRC written into forwarded packets, as `ssrc` */
  forwardSsrc?: string | number;
  /** a specific pair (the ZLMediaKit-compatible API's `port`); otherwise the LRU pair */
  rtpPort?: number;
}

export interface AllocateResult {
  lease: Lease;
  /** false when an identical request found the stream's active lease (200, not 201) */
  created: boolean;
}
