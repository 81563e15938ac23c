import type { GatewayEventSink } from '../gateway-events';
import type { LeaseBinding } from '../lease-binding';
import { createForwarder } from './create-forwarder';
import { parseForwardTarget } from './forward-target';
import { DEFAULT_FORWARD_BUFFER_BYTES, type LeaseForwarder } from './lease-forwarder';

/** forward-down and forward-up events written per lease, each; a flapping target's further changes are only counted. */
export const MAX_REPORTED_FORWARD_CHANGES = 16;

/**
 * The forwarder of a lease that forwards (null otherwise), reporting its changes as the
 * lease's `forward-down` / `forward-up` events, bounded per lease like `peer-rejected`.
 */
export function forwarderForLease(
  binding: LeaseBinding,
  bufferBytes: number | undefined,
  events: () => GatewayEventSink,
): LeaseForwarder | null {
  const target = binding.forward ? parseForwardTarget(binding.forward) : null;
  if (target === null) return null;
  const reported = { up: 0, down: 0 };
  const forwarder: LeaseForwarder = createForwarder({
    target,
    ssrc: binding.forwardSsrc ?? binding.ssrc ?? null,
    bufferBytes: bufferBytes ?? DEFAULT_FORWARD_BUFFER_BYTES,
    onChange: (change) => {
      if (++reported[change.state] > MAX_REPORTED_FORWARD_CHANGES) {
        forwarder.unreportedChanges++;
        return;
      }
      const detail = { to: change.to, error: change.error, reconnects: change.reconnects, mediaStream: forwarder.stats().mediaStream };
      events().leaseEvent(binding.leaseId, change.state === 'up' ? 'forward-up' : 'forward-down', detail);
    },
  });
  return forwarder;
}
