import type { LeaseBinding } from '@app/gateway';
import type { Lease } from '@app/leasing';
import { randomUUID } from 'node:crypto';
// Internal to leasing (its use cases hand bindings to the gateway); tests that drive the gateway
// directly need the same mapping, not a copy of it.
import { toBinding } from '../../libs/leasing/src/domain/lease-binding.mapper';

let made = 0;

/**
 * A valid lease for tests that need one without allocating it: a listening TCP-passive lease
 * on 127.0.0.1 with the contract's default timeouts. Each call gets its own id; the RTCP port
 * follows the RTP port unless given. Override only what the test is about.
 */
export function aLease(over: Partial<Lease> = {}): Lease {
  made++;
  const now = over.createdAt ?? Date.now();
  const rtpPort = over.rtpPort ?? 24000;
  const ttlS = over.ttlS ?? 3600;
  return {
    id: randomUUID(),
    nodeId: 'test-node',
    streamId: `test-stream-${made}`,
    host: '127.0.0.1',
    rtpPort,
    rtcpPort: rtpPort + 1,
    transport: 'tcp-passive',
    state: 'listening',
    ssrc: null,
    peerAddress: null,
    peerPort: null,
    client: null,
    record: false,
    recordPath: null,
    forward: null,
    forwardSsrc: null,
    ttlS,
    connectTimeoutS: 30,
    idleTimeoutS: 20,
    createdAt: now,
    updatedAt: now,
    expiresAt: now + ttlS * 1000,
    releasedAt: null,
    releaseReason: null,
    finalStats: null,
    ...over,
  };
}

/** What the gateway is given for `lease` when it opens its ports. */
export function bindingOf(lease: Lease): LeaseBinding {
  return toBinding(lease);
}
