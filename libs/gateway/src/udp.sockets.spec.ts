import { BatchUdpSocket, ReceiveArea } from '@app/udp-batch';
import { afterEach, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets } from '../../../test/fixtures/rtp/fixtures';
import { waitFor } from '../../../test/support/wait-for';
import type { GatewayEventSink } from './gateway-events';
import type { LeaseBinding } from './lease-binding';
import { LeaseMedia } from './lease-media';
import { UdpSockets } from './udp.sockets';

// UdpSockets on real loopback sockets (ports chosen by the kernel: the binding asks for port 0),
// fed by batch senders; the lease-level behaviour is covered in test/medium/transports/udp-leases.test.ts.

const PACKETS = rfc4571Packets(readOk('zlm-tcp-ps-rtp.bin'));
const framed = (packets: Buffer[]) => Buffer.concat(packets.flatMap((p) => [Buffer.from([p.length >> 8, p.length & 0xff]), p]));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function udpLease(host: string, binding: Partial<LeaseBinding> = {}, receiveArea?: ReceiveArea) {
  const events: { type: string; detail: Record<string, unknown> }[] = [];
  const sink: GatewayEventSink = {
    leaseEvent: (_id, type, detail) => events.push({ type, detail }),
    leaseStateChanged: () => undefined,
    leaseTimedOut: () => undefined,
  };
  const media = new LeaseMedia(
    {
      leaseId: 'lease-1',
      streamId: 'stream-1',
      rtpPort: 0,
      rtcpPort: 0,
      transport: 'udp',
      ssrc: null,
      peerAddress: null,
      peerPort: null,
      connectTimeoutS: 0,
      idleTimeoutS: 0,
      recordPath: null,
      ...binding,
    },
    { liveMaxBacklogBytes: 1 << 20, events: () => sink, onIdle: () => undefined },
  );
  const sockets = new UdpSockets({ host, receiveArea }, media);
  await sockets.open();
  cleanups.push(() => sockets.close());
  const stats = () => ({ ...media.stats(sockets.connected), ...sockets.stats() });
  return { sockets, media, events, stats };
}

async function sender(host: string, to: number): Promise<BatchUdpSocket> {
  const s = new BatchUdpSocket(host.includes(':') ? 'udp6' : 'udp4', null);
  await s.bind(host, 0);
  s.connect(host, to);
  cleanups.push(() => s.close());
  return s;
}

describe('UdpSockets (batch receive into a shared slab)', () => {
  it('counts a truncated datagram as invalid and never feeds or latches it', async () => {
    // slots of 1000 bytes: the capture's 1400-byte packets do not fit
    const big = PACKETS.findIndex((p) => p.length > 1000);
    const small = PACKETS.findIndex((p, i) => i > big && p.length <= 1000);
    const { sockets, stats } = await udpLease('127.0.0.1', {}, new ReceiveArea(16, 1000));
    const s = await sender('127.0.0.1', sockets.rtp.localPort);
    s.sendFramed(framed([PACKETS[big]]), 2);
    await waitFor(() => stats().droppedInvalid === 1, 'the truncated datagram counted');
    expect(stats()).toMatchObject({ connected: false, packets: 0, peer: null });
    s.sendFramed(framed([PACKETS[small], PACKETS[big]]), 2);
    await waitFor(() => stats().packets === 1 && stats().droppedInvalid === 2, 'the small one latched, the big one counted');
    expect(stats()).toMatchObject({ connected: true, peer: `127.0.0.1:${s.localPort}`, droppedForeignPeer: 0 });
  });

  it('latches an IPv6 peer and tells it from another port of the same address', async () => {
    const { sockets, stats, events } = await udpLease('::1');
    const owner = await sender('::1', sockets.rtp.localPort);
    const other = await sender('::1', sockets.rtp.localPort);
    owner.sendFramed(framed(PACKETS.slice(0, 10)), 2);
    await waitFor(() => stats().packets === 10, 'the owner latched');
    other.sendFramed(framed(PACKETS.slice(10, 13)), 2);
    owner.sendFramed(framed(PACKETS.slice(10, 20)), 2);
    await waitFor(() => stats().packets === 20 && stats().droppedForeignPeer === 3, 'the owner goes on, the other is dropped');
    expect(stats()).toMatchObject({ peer: `::1:${owner.localPort}`, lost: 0 });
    expect(events.filter((e) => e.type === 'peer-rejected').map((e) => e.detail)).toEqual([
      { peer: `::1:${other.localPort}`, port: 0, why: 'not-the-latched-peer' },
    ]);
  });

  it('on a dual-stack socket, takes an IPv4 peer as IPv4 and checks peerAddress as one', async () => {
    const { sockets, stats, events } = await udpLease('::', { peerAddress: '::ffff:127.0.0.1' });
    const v6 = await sender('::1', sockets.rtp.localPort);
    v6.sendFramed(framed(PACKETS.slice(0, 2)), 2);
    await waitFor(() => stats().droppedForeignPeer === 2, 'the IPv6 source is not the allowed address');
    const v4 = await sender('127.0.0.1', sockets.rtp.localPort);
    v4.sendFramed(framed(PACKETS.slice(0, 5)), 2);
    await waitFor(() => stats().packets === 5, 'the IPv4 source latched');
    expect(stats().peer).toBe(`127.0.0.1:${v4.localPort}`);
    expect(events.find((e) => e.type === 'peer-rejected')?.detail).toMatchObject({
      peer: `::1:${v6.localPort}`,
      why: 'address-not-allowed',
    });
  });
});
