import type { Lease } from '@app/leasing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startLedger, type LedgerHarness, type LedgerOverrides } from '../../support/ledger-harness';
import type { DbKind } from '../../support/test-databases';
import { connectDevice, type TestDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';

/**
 * An in-process ledger and gateway for one describe block, with the helpers the media-session
 * specs read by: every device is destroyed and every active lease released after each test.
 */
export function leaseSessions(kind: DbKind, options: LedgerOverrides) {
  let h: LedgerHarness;
  const devices: TestDevice[] = [];

  beforeAll(async () => {
    h = await startLedger(kind, options);
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) d.socket.destroy();
    const active = await h.queries.history({ state: 'active', limit: 500 });
    await Promise.all(active.items.map((l) => h.release.release(l.id)));
  });
  afterAll(async () => {
    await h?.destroy();
  });

  const eventsOf = async (lease: Lease, type: string) => (await h.queries.eventsOf(lease.id)).items.filter((e) => e.type === type);
  return {
    harness: () => h,
    allocate: (streamId: string, extra: Record<string, unknown> = {}) => h.allocate.allocate({ streamId, ...extra }).then((r) => r.lease),
    /** a device connecting to `port` on `host`, from `localAddress` when given */
    device: async (port: number, localAddress?: string, host = '127.0.0.1') => {
      const d = await connectDevice(port, host, localAddress);
      devices.push(d);
      return d;
    },
    stats: (lease: Lease) => h.gateway.stats(lease.id)!,
    eventTypes: async (lease: Lease) => (await h.queries.eventsOf(lease.id)).items.map((e) => e.type),
    eventsOf,
    /** the events of `type`, once there is at least one */
    firstEvents: (lease: Lease, type: string) => waitFor(() => eventsOf(lease, type).then((e) => e.length > 0 && e), type),
    state: async (lease: Lease) => (await h.queries.get(lease.id)).lease.state,
    /** the lease once it has ended */
    ended: (lease: Lease, timeoutMs = 10_000) =>
      waitFor(
        async () => {
          const l = (await h.queries.get(lease.id)).lease;
          return l.state !== 'listening' && l.state !== 'streaming' && l;
        },
        `lease ${lease.streamId} to end`,
        timeoutMs,
      ),
  };
}

/** A copy of an RTP packet with another SSRC. */
export function withSsrc(packet: Buffer, ssrc: number): Buffer {
  const copy = Buffer.from(packet);
  copy.writeUInt32BE(ssrc, 8);
  return copy;
}

/** An RTCP receiver report with no report blocks (RFC 3550 6.4.2): 8 bytes. */
export function rtcpRr(ssrc = 1): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}
