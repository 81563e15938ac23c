import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets } from '../../fixtures/rtp/fixtures';
import type { LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { boundUdpPorts } from '../../support/proc-net';
import { udpDevice, type UdpDevice } from '../../support/udp-device';
import { waitFor } from '../../support/wait-for';
import { leaseSessions, rtcpRr, withSsrc } from '../gateway/lease-sessions';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const EXTRACTED = readOk('zlm-extracted.ps');
const PACKETS = rfc4571Packets(CAPTURE);
const SSRC = 123456789;
const SSRC_TEXT = '0123456789';

describe('UDP leases (real ledger on SQLite, real loopback UDP sockets)', () => {
  const block = portBlock(48);
  const { harness, allocate, stats, eventTypes, eventsOf, state, ended } = leaseSessions('sqlite', {
    range: rangeOf(block.range(60)),
  });
  let h: LedgerHarness;
  const devices: UdpDevice[] = [];
  const device = async (port = 0) => {
    const d = await udpDevice(port);
    devices.push(d);
    return d;
  };
  beforeAll(() => {
    h = harness();
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
  });

  it('binds both ports as UDP (no TCP listener), streams the capture with the same stats, codec and recording as TCP', async () => {
    const lease = await allocate('udp-shape', { transport: 'udp', record: true });
    expect(lease).toMatchObject({ transport: 'udp', state: 'listening' });
    expect(boundUdpPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    expect(h.gateway.listeners().find((l) => l.leaseId === lease.id)).toMatchObject({
      transport: 'udp',
      listening: true,
      sockets: { transport: 'udp', udpBound: [lease.rtpPort, lease.rtcpPort], tcpListening: [], tcpConnections: [], dialling: false },
    });

    const d = await device();
    await d.send(PACKETS, lease.rtpPort);
    await waitFor(() => stats(lease).packets === PACKETS.length, 'all packets');
    await waitFor(async () => (await state(lease)) === 'streaming', 'streaming');
    expect(stats(lease)).toMatchObject({
      transport: 'udp',
      peer: `127.0.0.1:${d.port}`,
      connected: true,
      packets: 2308,
      bytes: CAPTURE.length - 2 * 2308,
      lost: 0,
      ssrcSeen: SSRC_TEXT,
      framing: null,
      payloadType: 96,
      codec: { video: 'h264', audio: 'aac' },
      psBytes: EXTRACTED.length,
      droppedForeignPeer: 0,
      kernelDrops: 0,
    });
    expect(stats(lease).recvBufferBytes).toBeGreaterThan(0);
    expect(await eventTypes(lease)).toEqual(['allocated', 'listening', 'peer-connected', 'first-packet']);

    const released = await h.release.release(lease.id);
    expect(boundUdpPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    expect(released.finalStats).toMatchObject({ packets: 2308, codec: { video: 'h264', audio: 'aac' } });
    expect(readFileSync(lease.recordPath!).equals(EXTRACTED)).toBe(true);
  });

  it('latches the first source that passes the checks and drops every other, one event per new source, 16 at most', async () => {
    const lease = await allocate('udp-foreign', { transport: 'udp' });
    const owner = await device();
    await owner.send(PACKETS.slice(0, 10), lease.rtpPort);
    await waitFor(() => stats(lease).packets === 10, 'the owner latched');
    // 100 other sources, two datagrams each
    const intruders = await Promise.all(Array.from({ length: 100 }, () => device()));
    for (const i of intruders) await i.send(PACKETS.slice(10, 12), lease.rtpPort);
    await waitFor(() => stats(lease).droppedForeignPeer === 200, 'every foreign datagram counted');
    await owner.send(PACKETS.slice(10, 20), lease.rtpPort);
    await waitFor(() => stats(lease).packets === 20, 'the owner goes on');
    expect(stats(lease)).toMatchObject({ peer: `127.0.0.1:${owner.port}`, lost: 0 });
    const rejected = await waitFor(() => eventsOf(lease, 'peer-rejected').then((e) => e.length === 16 && e), '16 events');
    expect(new Set(rejected.map((e) => e.detail!.peer)).size).toBe(16);
    expect(rejected[0].detail).toMatchObject({ port: lease.rtpPort, why: 'not-the-latched-peer' });
  });

  it('latches only a packet with the lease SSRC: a foreign SSRC first neither latches nor meets the connect timeout', async () => {
    const lease = await allocate('udp-ssrc', { transport: 'udp', ssrc: SSRC });
    const wrong = await device();
    await wrong.send(
      PACKETS.slice(0, 5).map((p) => withSsrc(p, 42)),
      lease.rtpPort,
    );
    await waitFor(() => stats(lease).droppedForeignSsrc === 5, 'foreign SSRC counted');
    expect(stats(lease)).toMatchObject({ connected: false, packets: 0, peer: null });
    expect(await state(lease)).toBe('listening');
    const right = await device();
    await right.send(PACKETS.slice(0, 5), lease.rtpPort);
    await waitFor(() => stats(lease).packets === 5, 'the right SSRC latched');
    expect(stats(lease).peer).toBe(`127.0.0.1:${right.port}`);
    await wrong.send(PACKETS.slice(5, 6), lease.rtpPort);
    await waitFor(() => stats(lease).droppedForeignPeer === 1, 'the first sender is foreign now');
    expect((await eventsOf(lease, 'ssrc-mismatch')).map((e) => e.detail)).toEqual([{ ssrc: '0000000042', expected: SSRC_TEXT }]);
  });

  it('refuses to latch a source that is not peerAddress', async () => {
    const lease = await allocate('udp-peer', { transport: 'udp', peerAddress: '127.0.0.9' });
    const d = await device();
    await d.send(PACKETS.slice(0, 3), lease.rtpPort);
    await waitFor(() => stats(lease).droppedForeignPeer === 3, 'dropped');
    expect(stats(lease).packets).toBe(0);
    const [event] = await eventsOf(lease, 'peer-rejected');
    expect(event.detail).toMatchObject({ peer: `127.0.0.1:${d.port}`, why: 'address-not-allowed' });
  });

  it('ends with connect-timeout when no accepted packet arrives, and closes both UDP sockets', async () => {
    const lease = await allocate('udp-connect-timeout', { transport: 'udp', ssrc: SSRC, connectTimeoutSeconds: 1 });
    const d = await device();
    await d.send(
      PACKETS.slice(0, 3).map((p) => withSsrc(p, 7)),
      lease.rtpPort,
    );
    const end = await ended(lease);
    expect(end).toMatchObject({ state: 'expired', releaseReason: 'connect-timeout' });
    expect(boundUdpPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
  });

  it('ends with idle-timeout once accepted packets stop, and counts RTCP on the RTCP port', async () => {
    const lease = await allocate('udp-idle', { transport: 'udp', idleTimeoutSeconds: 1 });
    const d = await device();
    const rtcp = await device();
    await rtcp.send([rtcpRr(), rtcpRr()], lease.rtcpPort);
    await d.send(PACKETS.slice(0, 50), lease.rtpPort);
    await waitFor(() => stats(lease).rtcpPackets === 2 && stats(lease).packets === 50, 'RTP and RTCP counted');
    const end = await ended(lease);
    expect(end).toMatchObject({ state: 'expired', releaseReason: 'idle-timeout' });
    expect(end.finalStats).toMatchObject({ packets: 50, rtcpPackets: 2 });
    expect(boundUdpPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
  });

  it('treats a UDP port held by someone else as a bind failure of the pair: the other half is closed, the pair quarantined', async () => {
    const rtpPort = block.start + 100;
    const squatter = await device(rtpPort + 1);
    await expect(allocate('udp-squatted', { transport: 'udp', rtpPort })).rejects.toMatchObject({ code: 'port_range_exhausted' });
    expect(boundUdpPorts(rtpPort, rtpPort + 1)).toEqual([squatter.port]);
    const quarantined = await h.queries.quarantined();
    expect(quarantined).toEqual([expect.objectContaining({ rtpPort, port: rtpPort + 1, reason: 'bind-failed: EADDRINUSE' })]);
  });

  it('counts the datagrams the kernel dropped while the service could not read (from /proc/net/udp)', async () => {
    const lease = await allocate('udp-kernel-drops', { transport: 'udp' });
    const { recvBufferBytes } = stats(lease);
    // A child floods the port with twice the receive buffer while this process is blocked in
    // execFileSync and reads nothing: the kernel must drop the rest.
    const count = Math.ceil((2 * recvBufferBytes!) / 1000);
    const script = `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(1000);b[0]=0x80;let n=0;
      (function go(){for(let i=0;i<256&&n<${count};i++,n++)s.send(b,${lease.rtpPort},'127.0.0.1');if(n<${count})setImmediate(go);else s.close();})();`;
    execFileSync(process.execPath, ['-e', script]);
    const drops = await waitFor(() => (stats(lease).kernelDrops ?? 0) > 0 && stats(lease).kernelDrops, 'kernel drops', 10_000);
    expect(drops).toBeGreaterThan(0);
  });
});

describe('UDP leases when MEDIA_BIND_HOST is not an address of this host', () => {
  const block = portBlock(48);
  const { harness, allocate } = leaseSessions('sqlite', { range: rangeOf(block.range(4, 300)), bindHost: '192.0.2.1' });

  it('answers listen_failed naming the errno (EADDRNOTAVAIL), ends the attempt failed, and quarantines nothing', async () => {
    const h = harness();
    await expect(allocate('udp-bad-host', { transport: 'udp' })).rejects.toMatchObject({
      code: 'listen_failed',
      extra: { errno: 'EADDRNOTAVAIL' },
    });
    expect(await h.queries.quarantined()).toEqual([]);
    const [attempt] = (await h.queries.history({ streamId: 'udp-bad-host', limit: 1 })).items;
    expect(attempt).toMatchObject({ state: 'failed', transport: 'udp' });
  });
});
