import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { notOkCases, readOk, rfc4571Packets, toInterleaved, toRfc4571 } from '../../fixtures/rtp/fixtures';
import type { LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { waitFor } from '../../support/wait-for';
import { leaseSessions, rtcpRr, withSsrc } from './lease-sessions';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const EXTRACTED = readOk('zlm-extracted.ps');
const PACKETS = rfc4571Packets(CAPTURE);
const SSRC = 123456789;
/** SSRCs leave the service as 10 decimal digits. */
const SSRC_TEXT = '0123456789';

describe('media sessions on leased ports (real ledger on SQLite, real loopback sockets)', () => {
  const block = portBlock(10);
  const { harness, allocate, device, stats, eventTypes, eventsOf, state, ended } = leaseSessions('sqlite', {
    range: rangeOf(block.range(120)),
  });
  let h: LedgerHarness;
  beforeAll(() => {
    h = harness();
  });

  it('reports the capture in the contract stats shape, and the lease streams then listens again', async () => {
    const lease = await allocate('shape');
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE, { seed: 3 });
    await waitFor(() => stats(lease).packets === 2308, 'all packets');
    await waitFor(async () => (await state(lease)) === 'streaming', 'streaming');
    expect(stats(lease)).toMatchObject({
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      connectedAt: expect.any(String),
      packets: 2308,
      bytes: CAPTURE.length - 2 * 2308,
      lost: 0,
      reordered: 0,
      duplicates: 0,
      jitterMs: expect.any(Number),
      ssrcSeen: SSRC_TEXT,
      droppedForeignSsrc: 0,
      framing: 'rfc4571',
      payloadType: 96,
      codec: { video: 'h264', audio: 'aac' },
      psBytes: EXTRACTED.length,
    });
    expect(typeof stats(lease).bitrateKbps).toBe('number');
    await d.end();
    await waitFor(async () => (await state(lease)) === 'listening', 'back to listening');
    expect(await eventTypes(lease)).toEqual(['allocated', 'listening', 'peer-connected', 'first-packet', 'peer-disconnected']);
    const [first] = await eventsOf(lease, 'first-packet');
    expect(first.detail).toMatchObject({ ssrc: SSRC_TEXT, framing: 'rfc4571' });
  });

  it('keeps the final statistics on the lease after it ends', async () => {
    const lease = await allocate('final');
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE, { seed: 4 });
    await waitFor(() => stats(lease).packets === 2308, 'all packets');
    await h.release.release(lease.id);
    expect(d.isClosed() || (await Promise.race([d.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]))).toBe(
      true,
    );
    const detail = await h.queries.get(lease.id);
    expect(detail.lease.state).toBe('released');
    expect(detail.stats).toMatchObject({ packets: 2308, ssrcSeen: SSRC_TEXT, codec: { video: 'h264', audio: 'aac' } });
  });

  it('reports H.264 with G.711 A-law for the G.711 capture', async () => {
    const lease = await allocate('g711');
    const d = await device(lease.rtpPort);
    await d.push(readOk('zlm-tcp-ps-rtp-g711.bin'), { seed: 5 });
    await waitFor(() => stats(lease).packets === 1291, 'all packets');
    expect(stats(lease)).toMatchObject({ codec: { video: 'h264', audio: 'g711a' }, ssrcSeen: '0123456790', lost: 0 });
  });

  it('accepts RFC 2326 interleaved framing, counts in-band RTCP apart, and records the same PS', async () => {
    const lease = await allocate('interleaved', { record: true });
    const d = await device(lease.rtpPort);
    const stream = Buffer.concat([
      toInterleaved(PACKETS.slice(0, 1000), 0),
      toInterleaved([rtcpRr(7)], 1),
      toInterleaved(PACKETS.slice(1000), 0),
    ]);
    await d.push(stream, { seed: 6, maxChunk: 3000 });
    await waitFor(() => stats(lease).packets === 2308, 'all packets');
    expect(stats(lease)).toMatchObject({ framing: 'rfc2326', rtcpPackets: 1, lost: 0, psBytes: EXTRACTED.length });
    await h.release.release(lease.id);
    expect(readFileSync(lease.recordPath!).equals(EXTRACTED)).toBe(true);
  });

  it('drops and counts packets of a foreign SSRC, with one ssrc-mismatch event per foreign SSRC', async () => {
    const lease = await allocate('ssrc-filter', { ssrc: String(SSRC), record: true });
    const mixed: Buffer[] = [];
    PACKETS.forEach((p, i) => {
      mixed.push(p);
      if (i % 10 === 0) mixed.push(withSsrc(p, 42));
      if (i % 100 === 0) mixed.push(withSsrc(p, 43));
    });
    const foreign = mixed.length - PACKETS.length;
    const d = await device(lease.rtpPort);
    await d.push(toRfc4571(mixed), { seed: 7 });
    await waitFor(() => stats(lease).packets + stats(lease).droppedForeignSsrc === mixed.length, 'every packet counted');
    expect(stats(lease)).toMatchObject({ packets: 2308, droppedForeignSsrc: foreign, ssrcSeen: SSRC_TEXT, lost: 0 });
    const mismatches = await waitFor(async () => {
      const e = await eventsOf(lease, 'ssrc-mismatch');
      return e.length >= 2 && e;
    }, 'ssrc-mismatch events');
    expect(mismatches.map((e) => e.detail?.ssrc).sort()).toEqual(['0000000042', '0000000043']);
    await h.release.release(lease.id);
    expect(readFileSync(lease.recordPath!).equals(EXTRACTED)).toBe(true);
  });

  it('without a lease SSRC reports the first SSRC seen', async () => {
    const lease = await allocate('ssrc-free');
    const d = await device(lease.rtpPort);
    await d.push(toRfc4571(PACKETS.slice(0, 50).map((p) => withSsrc(p, 777))));
    await waitFor(() => stats(lease).packets === 50, 'packets');
    expect(stats(lease)).toMatchObject({ ssrcSeen: '0000000777', droppedForeignSsrc: 0 });
  });

  it('rejects a second connection while the first keeps streaming', async () => {
    const lease = await allocate('second-conn');
    const first = await device(lease.rtpPort);
    await first.push(CAPTURE.subarray(0, 200_000), { seed: 8 });
    const second = await device(lease.rtpPort);
    const secondPort = second.socket.localPort;
    await second.closed;
    await first.push(CAPTURE.subarray(200_000), { seed: 9 });
    await waitFor(() => stats(lease).packets === 2308, 'all packets through the first connection');
    expect(first.isClosed()).toBe(false);
    expect(stats(lease)).toMatchObject({ connected: true, connections: 1, rejectedConnections: 1, lost: 0 });
    const [rejected] = await waitFor(() => eventsOf(lease, 'peer-rejected').then((e) => e.length > 0 && e), 'peer-rejected');
    expect(rejected.detail).toMatchObject({ why: 'already-connected', port: lease.rtpPort, peer: `127.0.0.1:${secondPort}` });
    expect(await state(lease)).toBe('streaming');
  });

  it('rejects a connection from an address other than peerAddress, and accepts the allowed one', async () => {
    const lease = await allocate('peer-address', { peerAddress: '127.0.0.2' });
    const stranger = await device(lease.rtpPort, '127.0.0.1');
    await stranger.closed;
    const [rejected] = await waitFor(() => eventsOf(lease, 'peer-rejected').then((e) => e.length > 0 && e), 'peer-rejected');
    expect(rejected.detail).toMatchObject({ why: 'address-not-allowed', peer: expect.stringMatching(/^127\.0\.0\.1:/) });
    const allowed = await device(lease.rtpPort, '127.0.0.2');
    await allowed.push(CAPTURE.subarray(0, 50_000));
    await waitFor(() => stats(lease).packets > 0, 'packets from the allowed peer');
    expect(stats(lease).peer).toMatch(/^127\.0\.0\.2:/);
    expect(allowed.isClosed()).toBe(false);
  });

  it('lets the device reconnect, and the statistics and the recording carry on', async () => {
    const lease = await allocate('reconnect', { record: true });
    const half = 1200;
    const firstPart = toRfc4571(PACKETS.slice(0, half));
    const first = await device(lease.rtpPort);
    await first.push(firstPart, { seed: 10 });
    await waitFor(() => stats(lease).packets === half, 'first half');
    await first.end();
    await waitFor(async () => (await state(lease)) === 'listening', 'listening after the disconnect');
    const second = await device(lease.rtpPort);
    await second.push(toRfc4571(PACKETS.slice(half)), { seed: 11 });
    await waitFor(() => stats(lease).packets === 2308, 'second half');
    expect(stats(lease)).toMatchObject({
      packets: 2308,
      bytes: CAPTURE.length - 2 * 2308,
      lost: 0,
      connections: 2,
      reconnects: 1,
      connected: true,
      psBytes: EXTRACTED.length,
    });
    expect(await eventTypes(lease)).toEqual([
      'allocated',
      'listening',
      'peer-connected',
      'first-packet',
      'peer-disconnected',
      'peer-connected',
      'first-packet',
    ]);
    await h.release.release(lease.id);
    expect(readFileSync(lease.recordPath!).equals(EXTRACTED)).toBe(true);
  });

  it('closes only the connection that sends garbage; another lease streams unharmed and the lease stays', async () => {
    const victim = await allocate('garbage');
    const healthy = await allocate('healthy');
    const good = await device(healthy.rtpPort);
    const pushing = good.push(CAPTURE, { seed: 12, maxChunk: 1500 });
    for (const c of notOkCases().filter((c) => !c.code.startsWith('truncated'))) {
      const bad = await device(victim.rtpPort);
      await bad.push(c.bytes);
      await bad.closed;
    }
    await pushing;
    await waitFor(() => stats(healthy).packets === 2308, 'healthy stream complete');
    expect(stats(healthy)).toMatchObject({ lost: 0, connected: true, streamErrors: 0 });
    expect(good.isClosed()).toBe(false);
    const errors = await waitFor(() => eventsOf(victim, 'stream-error').then((e) => e.length >= 13 && e), 'stream-error events');
    expect(new Set(errors.map((e) => e.detail?.code))).toEqual(
      new Set(['bad-channel', 'bad-magic', 'bad-rtp-version', 'too-long', 'too-short', 'unknown-framing', 'zero-length']),
    );
    expect(await state(victim)).toBe('listening');
    expect(listeningPorts(victim.rtpPort, victim.rtcpPort)).toEqual([victim.rtpPort, victim.rtcpPort]);
    const recovered = await device(victim.rtpPort);
    await recovered.push(CAPTURE.subarray(0, 100_000));
    await waitFor(() => stats(victim).packets > 0, 'the victim lease takes a good device again');
  });

  it('counts RTCP on the RTCP port and never mixes it into the media', async () => {
    const lease = await allocate('rtcp');
    const rtcp = await device(lease.rtcpPort);
    await rtcp.push(toRfc4571([rtcpRr(1), rtcpRr(2), PACKETS[0]]));
    const media = await device(lease.rtpPort);
    await media.push(CAPTURE, { seed: 13 });
    await waitFor(() => stats(lease).packets === 2308 && stats(lease).rtcpPackets === 2, 'media and rtcp counted');
    expect(stats(lease)).toMatchObject({ psBytes: EXTRACTED.length, lost: 0 });
    const again = await device(lease.rtcpPort);
    await again.closed;
    expect(rtcp.isClosed()).toBe(false);
  });

  it('disconnectDevice destroys the device connection and keeps the lease', async () => {
    const lease = await allocate('disconnect');
    expect(h.gateway.disconnectDevice(lease.id, 'stuck-connection')).toBe(false);
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE.subarray(0, 50_000));
    await waitFor(() => stats(lease).packets > 0, 'packets');
    expect(h.gateway.disconnectDevice(lease.id, 'stuck-connection')).toBe(true);
    await d.closed;
    const [gone] = await waitFor(() => eventsOf(lease, 'peer-disconnected').then((e) => e.length > 0 && e), 'peer-disconnected');
    expect(gone.detail).toMatchObject({ why: 'stuck-connection' });
    await waitFor(async () => (await state(lease)) === 'listening', 'listening');
    expect(h.gateway.disconnectDevice(lease.id, 'stuck-connection')).toBe(false);
  });

  it("lists a lease's entry again unchanged while its sockets are, and anew when a device connects and leaves", async () => {
    const lease = await allocate('entry');
    const entry = () => h.gateway.listeners().find((l) => l.leaseId === lease.id)!;
    const idle = entry();
    expect(entry()).toBe(idle);
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE.subarray(0, 50_000));
    await waitFor(() => stats(lease).packets > 0, 'packets');
    const connected = entry();
    expect(connected).not.toBe(idle);
    expect(connected).toMatchObject({ connected: true, sockets: { tcpConnections: [{ localPort: lease.rtpPort, dialled: false }] } });
    expect(idle).toMatchObject({ connected: false, sockets: { tcpConnections: [] } });
    await d.end();
    await waitFor(async () => (await state(lease)) === 'listening', 'back to listening');
    expect(entry()).toMatchObject({ connected: false, sockets: { tcpListening: [lease.rtpPort, lease.rtcpPort], tcpConnections: [] } });
  });

  describe('timeouts go through the release routine and close the ports in the OS', () => {
    it('ends a lease no device connected to: expired, connect-timeout', async () => {
      const lease = await allocate('connect-timeout', { connectTimeoutSeconds: 1 });
      expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
      expect(await ended(lease)).toMatchObject({ state: 'expired', releaseReason: 'connect-timeout' });
      expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
      expect(h.gateway.has(lease.id)).toBe(false);
    });

    it('closes a connected but silent device and ends the lease: expired, idle-timeout', async () => {
      const lease = await allocate('idle-connected', { idleTimeoutSeconds: 1 });
      const d = await device(lease.rtpPort);
      await d.push(CAPTURE.subarray(0, 20_000));
      await d.closed;
      expect(await ended(lease)).toMatchObject({ state: 'expired', releaseReason: 'idle-timeout' });
      expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
      const [gone] = await eventsOf(lease, 'peer-disconnected');
      expect(gone.detail).toMatchObject({ why: 'idle-timeout' });
      expect((await h.queries.get(lease.id)).stats).toMatchObject({ packets: expect.any(Number), connected: false });
    });

    it('keeps the idle clock running after a disconnect, so a vanished device frees the port', async () => {
      const lease = await allocate('idle-gone', { idleTimeoutSeconds: 1, connectTimeoutSeconds: 60 });
      const d = await device(lease.rtpPort);
      await d.push(CAPTURE.subarray(0, 20_000));
      await d.end();
      expect(await ended(lease)).toMatchObject({ state: 'expired', releaseReason: 'idle-timeout' });
      expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    });

    it('does not time out a device that keeps sending', async () => {
      const lease = await allocate('busy', { idleTimeoutSeconds: 1, connectTimeoutSeconds: 1 });
      const d = await device(lease.rtpPort);
      // ~2.5 s of media, a packet group every 100 ms: longer than both timeouts
      for (let i = 0; i < 25; i++) {
        await d.push(toRfc4571(PACKETS.slice(i * 40, i * 40 + 40)));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await state(lease)).toBe('streaming');
      expect(d.isClosed()).toBe(false);
    });
  });
});
