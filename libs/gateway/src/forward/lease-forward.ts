import type { GatewayEventSink } from '../gateway-events';
import type { LeaseBinding } from '../lease-binding';
import { createForwarder } from './create-forwarder';
import { ForwardBudget } from './forward-budget';
import { parseForwardTarget } from './forward-target';
import { DEFAULT_FORWARD_BUFFER_BYTES, type LeaseForwarder } from './lease-forwarder';

/** What bounds a lease's forward: its own buffer (FORWARD_BUFFER_BYTES) and the process's budget (FORWARD_BUFFER_TOTAL_BYTES); how long it gathers a write (FORWARD_BATCH_MS). */
export interface ForwardLimits {
  bufferBytes?: number;
  budget: ForwardBudget;
  batchMs?: number;
}

/** forward-down and forward-up events written per lease, each; a flapping target's further changes are only counted. */
export const MAX_REPORTED_FORWARD_CHANGES = 16;

/**
 * The forwarder of a lease that forwards (null otherwise), reporting its changes as the
 * lease's `forward-down` / `forward-up` events, bounded per lease like `peer-rejected`.
 */
export function forwarderForLease(
  binding: LeaseBinding,
  limits: ForwardLimits | undefined,
  events: () => GatewayEventSink,
  now?: () => number,
): LeaseForwarder | null {
  const target = binding.forward ? parseForwardTarget(binding.forward) : null;
  if (target === null) return null;
  const reported = { up: 0, down: 0 };
  const forwarder: LeaseForwarder = createForwarder({
    target,
    ssrc: binding.forwardSsrc ?? binding.ssrc ?? null,
    bufferBytes: limits?.bufferBytes ?? DEFAULT_FORWARD_BUFFER_BYTES,
    // A forwarder made without the gateway's budget (no gateway around it) is bounded by its own buffer only.
    budget: limits?.budget ?? new ForwardBudget(Infinity),
    batchMs: limits?.batchMs,
    now,
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
