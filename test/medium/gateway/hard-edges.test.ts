import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { DB_KINDS } from '../../support/test-databases';
import { connectDevice, type TestDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { leaseSessions, rtcpRr, withSsrc } from './lease-sessions';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const PACKETS = rfc4571Packets(CAPTURE);
const SSRC = 123456789;
/** The contract's one SSRC form: 10 decimal digits. */
const SSRC_TEXT = '0123456789';

/** The kernel has an IPv6 loopback (::1 on lo) for the dual-stack cases. */
const HAS_IPV6_LOOPBACK = (() => {
  try {
    return /^0{31}1 .* lo$/m.test(readFileSync('/proc/net/if_inet6', 'utf8'));
  } catch {
    return false;
  }
})();

/** Everything a hostile or broken peer can do to one lease's ports, and what it gets. */
describe.each(DB_KINDS)('hard edges of the media ports (%s ledger, real loopback sockets)', (kind) => {
  const block = portBlock(18);
  const { allocate, device, stats, eventTypes, eventsOf, firstEvents, state, ended } = leaseSessions(kind, {
    range: rangeOf(block.range(40, kind === 'sqlite' ? 0 : 100)),
  });

  /** Resolves true when the service closed the connection within `ms`, false when it stayed open. */
  const closedWithin = (d: TestDevice, ms: number) =>
    Promise.race([d.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  it('writes at most 16 peer-rejected events per lease and counts every rejected connection', async () => {
    const lease = await allocate('rejected-cap', { peerAddress: '127.0.0.2' });
    for (let i = 0; i < 40; i++) await (await device(lease.rtpPort, '127.0.0.1')).closed;
    await waitFor(() => stats(lease).rejectedConnections === 40, 'every rejection counted');
    // The allowed device's peer-connected is written after every rejection the gateway reported.
    const allowed = await device(lease.rtpPort, '127.0.0.2');
    await allowed.push(toRfc4571(PACKETS.slice(0, 20)));
    await waitFor(
      async () => (await eventsOf(lease, 'peer-connected')).length === 1 && (await eventsOf(lease, 'peer-rejected')).length >= 16,
      'the events written',
    );
    expect(await eventsOf(lease, 'peer-rejected')).toHaveLength(16);
    expect(stats(lease)).toMatchObject({ rejectedConnections: 40, connections: 1, connected: true });
  });

  describe('a connection must deliver accepted media', () => {
    it('closes a connection that sends nothing within 5 s (no-media), and the device then takes the slot', async () => {
      const lease = await allocate('silent');
      const silent = await device(lease.rtpPort);
      await waitFor(() => eventsOf(lease, 'peer-connected').then((e) => e.length === 1), 'peer-connected');
      expect(await state(lease)).toBe('listening');
      expect(await closedWithin(silent, 15_000)).toBe(true);
      const [gone] = await firstEvents(lease, 'peer-disconnected');
      expect(gone.detail).toMatchObject({ why: 'no-media', packets: 0 });
      expect(await state(lease)).toBe('listening');
      const real = await device(lease.rtpPort);
      await real.push(CAPTURE, { seed: 30 });
      await waitFor(() => stats(lease).packets === 2308, 'the device streams');
      expect(await state(lease)).toBe('streaming');
    });

    it('closes a connection whose every packet has a foreign SSRC (no-media)', async () => {
      const lease = await allocate('foreign-only', { ssrc: String(SSRC) });
      const d = await device(lease.rtpPort);
      await d.push(toRfc4571(PACKETS.slice(0, 100).map((p) => withSsrc(p, 7))));
      expect(await closedWithin(d, 15_000)).toBe(true);
      const [gone] = await firstEvents(lease, 'peer-disconnected');
      expect(gone.detail).toMatchObject({ why: 'no-media', packets: 0 });
      expect(stats(lease)).toMatchObject({ droppedForeignSsrc: 100, packets: 0 });
    });

    it('a silent connection does not stop the connect timeout', async () => {
      const lease = await allocate('silent-connect', { connectTimeoutSeconds: 2, idleTimeoutSeconds: 60 });
      await device(lease.rtpPort);
      expect(await ended(lease, 20_000)).toMatchObject({ state: 'expired', releaseReason: 'connect-timeout' });
    });

    it('only accepted packets reset the idle clock: reconnecting without media does not keep the lease', async () => {
      const lease = await allocate('silent-reconnects', { idleTimeoutSeconds: 2, connectTimeoutSeconds: 60 });
      const d = await device(lease.rtpPort);
      await d.push(toRfc4571(PACKETS.slice(0, 50)));
      await waitFor(() => stats(lease).packets === 50, 'packets');
      await d.end();
      let stop = false;
      const reconnecting = (async () => {
        while (!stop) {
          const again = await connectDevice(lease.rtpPort).catch(() => null);
          await new Promise((r) => setTimeout(r, 300));
          again?.socket.destroy();
        }
      })();
      try {
        expect(await ended(lease, 20_000)).toMatchObject({ state: 'expired', releaseReason: 'idle-timeout' });
      } finally {
        stop = true;
        await reconnecting;
      }
    });
  });

  it('turns streaming only at the first accepted packet, for every connection, and writes SSRCs in 10 digits', async () => {
    const lease = await allocate('accepted-only', { ssrc: SSRC_TEXT });
    const d = await device(lease.rtpPort);
    await d.push(toRfc4571(PACKETS.slice(0, 200).map((p) => withSsrc(p, 7))));
    await waitFor(() => stats(lease).droppedForeignSsrc === 200, 'foreign packets dropped');
    await waitFor(() => eventsOf(lease, 'ssrc-mismatch').then((e) => e.length === 1), 'ssrc-mismatch');
    expect(await state(lease)).toBe('listening');
    expect(stats(lease)).toMatchObject({ connected: true, packets: 0 });

    await d.push(toRfc4571(PACKETS.slice(200, 400)));
    await waitFor(async () => (await state(lease)) === 'streaming', 'streaming at the first accepted packet');
    await waitFor(() => stats(lease).packets === 200, 'the accepted packets counted');
    expect(stats(lease)).toMatchObject({ ssrcSeen: SSRC_TEXT, droppedForeignSsrc: 200 });
    const [mismatch] = await eventsOf(lease, 'ssrc-mismatch');
    expect(mismatch.detail).toEqual({ ssrc: '0000000007', expected: SSRC_TEXT });
    const [first] = await firstEvents(lease, 'first-packet');
    expect(first.detail).toMatchObject({ ssrc: SSRC_TEXT });

    await d.end();
    await waitFor(async () => (await state(lease)) === 'listening', 'listening after the disconnect');
    const again = await device(lease.rtpPort);
    await waitFor(() => eventsOf(lease, 'peer-connected').then((e) => e.length === 2), 'the reconnect seen');
    expect(await state(lease)).toBe('listening');
    await again.push(toRfc4571(PACKETS.slice(400, 500)));
    await waitFor(async () => (await state(lease)) === 'streaming', 'streaming again at its first accepted packet');
    expect(await eventTypes(lease)).toEqual([
      'allocated',
      'listening',
      'peer-connected',
      'ssrc-mismatch',
      'first-packet',
      'peer-disconnected',
      'peer-connected',
      'first-packet',
    ]);
  });

  it('closes an RTCP connection that sends nothing for idleTimeoutSeconds, freeing its slot', async () => {
    const lease = await allocate('rtcp-idle', { idleTimeoutSeconds: 1, connectTimeoutSeconds: 60 });
    const silent = await device(lease.rtcpPort);
    expect(await closedWithin(silent, 15_000)).toBe(true);
    const next = await device(lease.rtcpPort);
    await next.push(toRfc4571([rtcpRr()]));
    await waitFor(() => stats(lease).rtcpPackets === 1, 'the next RTCP connection served');
    expect(await state(lease)).toBe('listening');
  });
});

describe.runIf(HAS_IPV6_LOOPBACK)('peerAddress on a dual-stack listener (MEDIA_BIND_HOST ::)', () => {
  const block = portBlock(18);
  const { allocate, device, stats, firstEvents } = leaseSessions('sqlite', { bindHost: '::', range: rangeOf(block.range(20, 300)) });

  it('accepts an IPv6 device however its peerAddress is spelt', async () => {
    const lease = await allocate('v6-long-form', { peerAddress: '0:0:0:0:0:0:0:1' });
    const d = await device(lease.rtpPort, undefined, '::1');
    await d.push(toRfc4571(PACKETS.slice(0, 20)));
    await waitFor(() => stats(lease).packets === 20, 'packets from ::1');
    expect(stats(lease)).toMatchObject({ peer: expect.stringMatching(/^::1:\d+$/), rejectedConnections: 0 });
  });

  it('treats an IPv4 peer (v4-mapped on this listener) as its IPv4 address, and tells IPv4 from IPv6', async () => {
    const v4 = await allocate('v4-on-dual-stack', { peerAddress: '::FFFF:127.0.0.1' });
    const d = await device(v4.rtpPort);
    await d.push(toRfc4571(PACKETS.slice(0, 20)));
    await waitFor(() => stats(v4).packets === 20, 'packets from 127.0.0.1');
    expect(stats(v4).peer).toMatch(/^127\.0\.0\.1:\d+$/);

    const v6only = await allocate('v6-only', { peerAddress: '::1' });
    await (
      await device(v6only.rtpPort)
    ).closed;
    const [rejected] = await firstEvents(v6only, 'peer-rejected');
    expect(rejected.detail).toMatchObject({ why: 'address-not-allowed', peer: expect.stringMatching(/^127\.0\.0\.1:/) });
  });
});
