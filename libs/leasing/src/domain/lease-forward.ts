import { FORWARD_TARGET_RULE, mediaStreamName, parseForwardTarget } from '@app/gateway';
import type { Lease } from '@app/ledger';

/** For the entry points (FORWARD_TO, the REST body): the one parser of forward URLs. */
export { FORWARD_TARGET_RULE, parseForwardTarget };

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
