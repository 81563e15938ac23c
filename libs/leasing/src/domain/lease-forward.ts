import { DEFAULT_FORWARD_BATCH_MS, FORWARD_TARGET_RULE, MAX_FORWARD_BATCH_MS, mediaStreamName, parseForwardTarget } from '@app/gateway';
import type { Lease } from '@app/ledger';

/** For the entry points (FORWARD_TO, the REST body): the one parser of forward URLs. */
export { FORWARD_TARGET_RULE, parseForwardTarget };
/** For the configuration (FORWARD_BATCH_MS): the gateway's default and bound. */
export { DEFAULT_FORWARD_BATCH_MS, MAX_FORWARD_BATCH_MS };

/**
 * The name a media server such as ZLMediaKit gives the forwarded stream (`rtp/0BEBC201`), when
 * the SSRC written into forwarded packets is known at allocation (forwardSsrc, else ssrc);
 * null when the lease does not forward or takes the device's SSRC (stats.forward shows it then).
 */
export function leaseMediaStream(lease: Pick<Lease, 'forward' | 'forwardSsrc' | 'ssrc'>): string | null {
  if (lease.forward === null) return null;
  const ssrc = lease.forwardSsrc ?? lease.ssrc;
  return ssrc === null ? null : mediaStreamName(Number(ssrc));
}
