import { InvalidLeaseInputError } from '@app/leasing';
import { WebhookOutboxRepository } from '@app/ledger';
import { BatchUdpSocket } from '@app/udp-batch';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toInterleaved, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { rfc4571Frames, tcpReceiver, udpReceiver, type TcpReceiver, type UdpReceiver } from '../../support/forward-receivers';
import { startLedger } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { liveConnectionsTo } from '../../support/proc-net';
import { waitFor } from '../../support/wait-for';
import { connectDevice } from '../../support/device';
import { leaseSessions, withSsrc } from './lease-sessions';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const EXTRACTED = readOk('zlm-extracted.ps');
const PACKETS = rfc4571Packets(CAPTURE);
/** The capture's own SSRC. */
const DEVICE_SSRC = 123456789;
/** 0x0BEBC201: the SSRC a signalling server asked ZLMediaKit to expect. */
const FORWARD_SSRC = 200000001;
const FORWARDED = PACKETS.map((p) => withSsrc(p, FORWARD_SSRC));
const RTP_BYTES = CAPTURE.length - 2 * PACKETS.length;

const block = portBlock(51);
/** receiver ports: after the media range, before the block's HTTP ports */
const receiverPort = (i: number) => block.start + 300 + i;

const receivers: (TcpReceiver | UdpReceiver)[] = [];
async function tcp(i: number, opts?: { reading?: boolean; hangUp?: boolean }) {
  const r = await tcpReceiver(receiverPort(i), opts);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop().catch(() => undefined)));
});

describe('forwarding a lease stream to a media server (real ledger on SQLite, real loopback receivers)', () => {
  const { harness, allocate, device, stats, eventsOf, state } = leaseSessions('sqlite', {
    range: rangeOf(block.range(60)),
    webhooks: true,
    // The default 4 MiB: a whole capture (2.2 MB) pushed at once fits while the connection opens.
    forwardBufferBytes: 4 * 1024 * 1024,
  });

  it('sends every accepted packet on over one TCP connection, RFC 4571-framed byte for byte, with only the SSRC rewritten', async () => {
    const receiver = await tcp(0);
    const lease = await allocate('tcp-exact', { forward: `tcp://127.0.0.1:${receiver.port}`, forwardSsrc: String(FORWARD_SSRC) });
    expect(lease).toMatchObject({ forward: `tcp://127.0.0.1:${receiver.port}`, forwardSsrc: '0200000001' });
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE, { seed: 11 });
    await waitFor(() => receiver.total() === CAPTURE.length, 'the whole capture at the receiver');
    expect(receiver.connections).toHaveLength(1);
    expect(receiver.bytes().equals(toRfc4571(FORWARDED))).toBe(true);
    expect(stats(lease).forward).toEqual({
      to: `tcp://127.0.0.1:${receiver.port}`,
      state: 'up',
      packets: PACKETS.length,
      bytes: RTP_BYTES,
      dropped: 0,
      reconnects: 0,
      lastError: null,
      mediaStream: 'rtp/0BEBC201',
    });
    // The rewrite happens where the probe and sinks do not look: the stream itself is intact.
    expect(stats(lease)).toMatchObject({ packets: PACKETS.length, ssrcSeen: '0123456789', psBytes: EXTRACTED.length });
  });

  it('frames packets that came RFC 2326-interleaved, or straddled socket reads, the same way', async () => {
    const receiver = await tcp(1);
    const lease = await allocate('tcp-interleaved', { forward: `tcp://127.0.0.1:${receiver.port}`, forwardSsrc: FORWARD_SSRC });
    const d = await device(lease.rtpPort);
    // Small pieces: most packets straddle two or more reads and come out of the deframer's own buffer.
    await d.push(toInterleaved(PACKETS), { seed: 12, maxChunk: 700 });
    await waitFor(() => receiver.total() === CAPTURE.length, 'the whole capture at the receiver');
    expect(receiver.bytes().equals(toRfc4571(FORWARDED))).toBe(true);
  });

  it('keeps the device SSRC when no forwardSsrc is given, and names the stream after it', async () => {
    const receiver = await tcp(2);
    const lease = await allocate('tcp-own-ssrc', { forward: `tcp://127.0.0.1:${receiver.port}` });
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE, { seed: 13 });
    await waitFor(() => receiver.total() === CAPTURE.length, 'the whole capture');
    expect(receiver.bytes().equals(CAPTURE)).toBe(true);
    expect(stats(lease).forward?.mediaStream).toBe(`rtp/${DEVICE_SSRC.toString(16).toUpperCase().padStart(8, '0')}`);
  });

  it('sends one datagram per packet over UDP, in order, SSRC rewritten', async () => {
    const receiver = await udpReceiver(receiverPort(3));
    receivers.push(receiver);
    const lease = await allocate('udp', { forward: `udp://127.0.0.1:${receiver.port}`, forwardSsrc: FORWARD_SSRC });
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE, { seed: 14, maxChunk: 1500 });
    await waitFor(() => stats(lease).forward?.packets === PACKETS.length, 'every packet sent');
    await waitFor(() => receiver.datagrams.length === PACKETS.length, 'every datagram received');
    expect(receiver.datagrams.every((g, i) => g.equals(FORWARDED[i]))).toBe(true);
    expect(stats(lease).forward).toMatchObject({ state: 'up', bytes: RTP_BYTES, dropped: 0, mediaStream: 'rtp/0BEBC201' });
  });

  it('reconnects after the receiver restarts, reports forward-down and forward-up, and keeps whole frames in order', async () => {
    let receiver = await tcp(4);
    const lease = await allocate('reconnect', { forward: `tcp://127.0.0.1:${receiver.port}` });
    const d = await device(lease.rtpPort);
    const half = PACKETS.length / 2;
    await d.push(toRfc4571(PACKETS.slice(0, half)), { seed: 15 });
    await waitFor(() => rfc4571Frames(receiver.bytes()).length === half, 'the first half');
    await receiver.stop();
    receivers.splice(receivers.indexOf(receiver), 1);
    // Packets keep coming while the target is away; the forward notices and goes down.
    let next = half;
    await waitFor(async () => {
      if (next < PACKETS.length - 100) await d.push(toRfc4571(PACKETS.slice(next, (next += 5))), { seed: next });
      return stats(lease).forward?.state === 'down';
    }, 'the forward down');
    receiver = await tcp(4);
    await waitFor(async () => {
      if (next < PACKETS.length) await d.push(toRfc4571(PACKETS.slice(next, (next += 5))), { seed: next });
      return stats(lease).forward?.state === 'up' && receiver.connections.length === 1;
    }, 'the forward up again');
    await d.push(toRfc4571(PACKETS.slice(next)), { seed: 16 });
    await waitFor(() => rfc4571Frames(receiver.bytes()).at(-1)?.equals(PACKETS.at(-1)!), 'the last packet at the new receiver');
    const frames = rfc4571Frames(receiver.bytes());
    const seqs = frames.map((f) => f.readUInt16BE(2));
    expect(seqs.every((s, i) => i === 0 || s === ((seqs[i - 1] + 1) & 0xffff))).toBe(true);
    expect(stats(lease).forward!.reconnects).toBeGreaterThanOrEqual(1);
    expect(stats(lease).forward!.lastError).toEqual(expect.any(String));
    // Events are written behind the socket side: wait for them, then check there is one of each.
    await waitFor(async () => (await eventsOf(lease, 'forward-up')).length === 1, 'the forward-up event');
    expect((await eventsOf(lease, 'forward-down')).length).toBe(1);
    const h = harness();
    const page = await h.app.get(WebhookOutboxRepository).page({ nodeId: h.options.nodeId, limit: 500 });
    const outbox = page.items.filter((e) => e.subjectId === lease.id).map((e) => e.type);
    expect(outbox.filter((t) => t.startsWith('forward.')).sort()).toEqual(['forward.down', 'forward.up']);
  });

  it('counts what does not fit the buffer of a receiver that stopped reading, and never slows a second lease', async () => {
    const stalled = await tcp(5, { reading: false });
    const healthy = await tcp(6);
    const slow = await allocate('stalled', { forward: `tcp://127.0.0.1:${stalled.port}` });
    const other = await allocate('healthy', { forward: `tcp://127.0.0.1:${healthy.port}` });
    const d1 = await device(slow.rtpPort);
    const d2 = await device(other.rtpPort);
    // Far more than the 4 MiB forward buffer plus the kernel's socket buffers (a few MB each side).
    const rounds = 12;
    await Promise.all([
      (async () => {
        for (let i = 0; i < rounds; i++) await d1.push(CAPTURE, { seed: 20 + i });
      })(),
      d2.push(CAPTURE, { seed: 40 }),
    ]);
    await waitFor(() => stats(slow).packets === rounds * PACKETS.length, 'the stalled lease ingesting everything');
    await waitFor(() => healthy.total() === CAPTURE.length, 'the healthy lease forwarding everything');
    // Packets gathered for the next batched write (up to FORWARD_BATCH_MS, 80 ms) are counted neither as sent nor as
    // dropped yet: wait until the last batch has been written or refused.
    const settled = () => stats(slow).forward!.packets + stats(slow).forward!.dropped === rounds * PACKETS.length;
    await waitFor(settled, 'every packet of the stalled lease forwarded or counted as dropped');
    expect(stats(slow).forward!.dropped).toBeGreaterThan(0);
    expect(stats(other).forward).toMatchObject({ packets: PACKETS.length, dropped: 0 });
  });

  it('opens nothing before the first packet, and the release closes the forward connection in the OS', async () => {
    const receiver = await tcp(7);
    const lease = await allocate('release', { forward: `tcp://127.0.0.1:${receiver.port}` });
    const d = await device(lease.rtpPort);
    expect(stats(lease).forward?.state).toBe('idle');
    expect(liveConnectionsTo(receiver.port)).toEqual([]);
    await d.push(CAPTURE.subarray(0, 20_000), { seed: 17 });
    await waitFor(() => liveConnectionsTo(receiver.port).length === 1, 'the forward connection');
    await waitFor(() => stats(lease).forward!.packets > 0, 'packets forwarded');
    const ended = await harness().release.release(lease.id);
    expect(liveConnectionsTo(receiver.port)).toEqual([]);
    expect(ended.finalStats).toMatchObject({ forward: { to: `tcp://127.0.0.1:${receiver.port}`, packets: expect.any(Number) } });
    expect((ended.finalStats as { forward: { packets: number } }).forward.packets).toBeGreaterThan(0);
  });

  it('leaves no connection behind when the lease ends while its forward connection is still opening', async () => {
    const receiver = await tcp(9);
    for (let i = 0; i < 5; i++) {
      const lease = await allocate(`opening-${i}`, { forward: `tcp://127.0.0.1:${receiver.port}` });
      const d = await device(lease.rtpPort);
      d.socket.write(CAPTURE.subarray(0, 5000));
      await waitFor(() => stats(lease).forward?.state !== 'idle', 'the first packet');
      await harness().release.release(lease.id);
      expect(liveConnectionsTo(receiver.port)).toEqual([]);
    }
  });

  it('keeps streaming when the target is unreachable: the forward is down with lastError, reported once', async () => {
    const closedPort = receiverPort(8);
    const lease = await allocate('unreachable', { forward: `tcp://127.0.0.1:${closedPort}` });
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE, { seed: 18 });
    await waitFor(() => stats(lease).packets === PACKETS.length, 'every packet ingested');
    await waitFor(async () => (await state(lease)) === 'streaming', 'streaming');
    await waitFor(() => stats(lease).forward?.state === 'down', 'down');
    expect(stats(lease).forward).toMatchObject({ state: 'down', lastError: expect.stringContaining('ECONNREFUSED'), packets: 0 });
    await waitFor(async () => (await eventsOf(lease, 'forward-down')).length === 1, 'one forward-down event');
    const [down] = await eventsOf(lease, 'forward-down');
    expect(down.detail).toMatchObject({ to: `tcp://127.0.0.1:${closedPort}`, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('writes at most 16 forward-down and 16 forward-up events for a flapping target, and counts the rest', async () => {
    const flapping = await tcp(10, { hangUp: true });
    const lease = await allocate('flapping', { forward: `tcp://127.0.0.1:${flapping.port}` });
    const d = await device(lease.rtpPort);
    let next = 0;
    await waitFor(
      async () => {
        await d.push(toRfc4571(PACKETS.slice(next % 2000, (next % 2000) + 5)), { seed: next });
        next += 5;
        return stats(lease).unreportedForwardChanges >= 2;
      },
      'more than 16 outages',
      { timeoutMs: 60_000, everyMs: 50 },
    );
    expect(stats(lease).forward!.reconnects).toBeGreaterThan(16);
    await waitFor(async () => (await eventsOf(lease, 'forward-up')).length === 16, '16 forward-up events');
    expect((await eventsOf(lease, 'forward-down')).length).toBe(16);
  });

  it('forwards the datagrams of a UDP lease over TCP the same way: each packet framed RFC 4571, SSRC rewritten, in order', async () => {
    const receiver = await tcp(12);
    const lease = await allocate('udp-in', { transport: 'udp', forward: `tcp://127.0.0.1:${receiver.port}`, forwardSsrc: FORWARD_SSRC });
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      // Paced: a receive buffer is not a queue for a whole capture at once.
      for (let i = 0; i < PACKETS.length; i += 50) {
        for (const p of PACKETS.slice(i, i + 50)) socket.send(p, lease.rtpPort, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 5));
      }
      await waitFor(() => receiver.total() === CAPTURE.length, 'the whole capture at the receiver');
    } finally {
      socket.close();
    }
    expect(receiver.bytes().equals(toRfc4571(FORWARDED))).toBe(true);
    expect(stats(lease)).toMatchObject({ transport: 'udp', packets: PACKETS.length, psBytes: EXTRACTED.length });
    expect(stats(lease).forward).toMatchObject({ state: 'up', packets: PACKETS.length, bytes: RTP_BYTES, dropped: 0 });
  });

  it('forwards a burst of UDP datagrams over UDP byte for byte: packets that wait while the forward opens are copies, not views of the receive slab', async () => {
    const receiver = await udpReceiver(receiverPort(13));
    receivers.push(receiver);
    // A name, so opening the forward takes a lookup (the thread pool), not just a tick.
    const lease = await allocate('udp-to-udp', {
      transport: 'udp',
      forward: `udp://localhost:${receiver.port}`,
      forwardSsrc: FORWARD_SSRC,
    });
    const device = new BatchUdpSocket('udp4', null);
    await device.bind('127.0.0.1', 0);
    device.connect('127.0.0.1', lease.rtpPort);
    try {
      // 300 datagrams queued at once (sendmmsg returns once they are in the kernel): the service
      // reads them as 64-datagram batches, four in one turn of the loop, while the forward
      // (opened at the first packet) is still looking its host up: every packet waits, and each
      // batch overwrites the slab the one before came in.
      const burst = toRfc4571(PACKETS.slice(0, 300));
      expect(device.sendFramed(burst, 2)).toBe(burst.length);
      await waitFor(() => receiver.datagrams.length === 300, 'every datagram at the receiver');
    } finally {
      await device.close();
    }
    expect(receiver.datagrams.every((g, i) => g.equals(FORWARDED[i]))).toBe(true);
    expect(stats(lease).forward).toMatchObject({ state: 'up', packets: 300, dropped: 0 });
  });

  it('refuses a bad forward or forwardSsrc, naming the field', async () => {
    for (const [field, body] of [
      ['forward', { forward: 'http://127.0.0.1:80' }],
      ['forward', { forward: 'tcp://127.0.0.1:0' }],
      ['forward', { forward: 'tcp://127.0.0.1' }],
      ['forwardSsrc', { forward: 'udp://127.0.0.1:9', forwardSsrc: '4294967296' }],
      ['forwardSsrc', { forward: 'udp://127.0.0.1:9', forwardSsrc: 'abc' }],
    ] as const) {
      const err = await allocate(`bad-${field}`, body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidLeaseInputError);
      expect((err as InvalidLeaseInputError).field).toBe(field);
    }
  });
});

describe('FORWARD_TO: the default forward of every lease', () => {
  const { allocate, stats, device, harness } = leaseSessions('sqlite', {
    range: rangeOf(block.range(20, 120)),
    forwardTo: `tcp://127.0.0.1:${receiverPort(20)}`,
  });

  it('applies to a lease that names no forward; "forward": null opts out', async () => {
    const receiver = await tcp(20);
    const byDefault = await allocate('default');
    const optedOut = await allocate('opted-out', { forward: null });
    expect(byDefault.forward).toBe(`tcp://127.0.0.1:${receiver.port}`);
    expect(optedOut.forward).toBeNull();
    const d1 = await device(byDefault.rtpPort);
    const d2 = await device(optedOut.rtpPort);
    await d1.push(CAPTURE, { seed: 21 });
    await d2.push(CAPTURE, { seed: 22 });
    await waitFor(() => receiver.total() === CAPTURE.length, 'the default lease forwarded');
    await waitFor(() => stats(optedOut).packets === PACKETS.length, 'the opted-out lease ingested');
    expect(stats(optedOut).forward).toBeNull();
    expect(receiver.connections).toHaveLength(1);
  });

  it('closes the forward connections at shutdown (closeAll) and awaits their close; the leases stay for the next start', async () => {
    const receiver = await tcp(21);
    const lease = await allocate('shutdown', { forward: `tcp://127.0.0.1:${receiver.port}` });
    const d = await device(lease.rtpPort);
    await d.push(CAPTURE.subarray(0, 50_000), { seed: 23 });
    await waitFor(() => liveConnectionsTo(receiver.port).length === 1 && stats(lease).forward?.state === 'up', 'forwarding');
    await harness().gateway.closeAll();
    expect(liveConnectionsTo(receiver.port)).toEqual([]);
  });
});

describe('a forwarding lease resumed after a restart', () => {
  it('forwards again, to the same target with the same SSRC, from the ledger row', async () => {
    const receiver = await tcp(22);
    const range = rangeOf(block.range(10, 200));
    const first = await startLedger('sqlite', { range });
    const lease = (
      await first.allocate.allocate({ streamId: 'resumed', forward: `tcp://127.0.0.1:${receiver.port}`, forwardSsrc: FORWARD_SSRC })
    ).lease;
    await first.close(); // sockets closed, the lease left active: a restart
    const second = await startLedger('sqlite', { range }, first.db);
    try {
      expect(second.gateway.stats(lease.id)?.forward).toMatchObject({
        to: `tcp://127.0.0.1:${receiver.port}`,
        state: 'idle',
        mediaStream: 'rtp/0BEBC201',
      });
      const d = await connectDevice(lease.rtpPort);
      await d.push(CAPTURE, { seed: 24 });
      await waitFor(() => receiver.total() === CAPTURE.length, 'the capture forwarded after the restart');
      expect(receiver.bytes().equals(toRfc4571(FORWARDED))).toBe(true);
      d.socket.destroy();
      await second.release.release(lease.id);
    } finally {
      await second.destroy();
    }
  });
});
