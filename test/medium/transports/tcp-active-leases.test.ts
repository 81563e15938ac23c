import { ConnectLeaseUseCase, LeaseEndedError, WrongTransportError } from '@app/leasing';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toRfc4571 } from '../../fixtures/rtp/fixtures';
import type { LedgerHarness } from '../../support/ledger-harness';
import { dialsAfterTheEnd, listeningDevice, write } from '../../support/listening-device';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { listeningPorts, tcpSocketsOn } from '../../support/proc-net';
import { waitFor } from '../../support/wait-for';
import { leaseSessions } from '../gateway/lease-sessions';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const PACKETS = rfc4571Packets(CAPTURE);
const FIRST_100 = toRfc4571(PACKETS.slice(0, 100));

describe('TCP-ACTIVE leases (real ledger on SQLite, the service dials a device on loopback)', () => {
  const block = portBlock(26);
  const { harness, allocate, stats, eventsOf, state, ended } = leaseSessions('sqlite', { range: rangeOf(block.range(40)) });
  let h: LedgerHarness;
  /** device ports: above the media range, below the HTTP ports */
  let nextDevicePort = block.start + 200;
  const devicePort = () => nextDevicePort++;
  beforeAll(() => {
    h = harness();
  });

  const connectLease = (id: string, port: number) => h.app.get(ConnectLeaseUseCase).connect(id, '127.0.0.1', port);

  it('holds no socket before the connect call, then dials from rtpPort, retrying 1 s apart until the device listens (2 s late)', async () => {
    const lease = await allocate('active-late', { transport: 'tcp-active' });
    expect(lease).toMatchObject({ transport: 'tcp-active', state: 'listening', peerPort: null });
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    expect(tcpSocketsOn(lease.rtpPort)).toEqual([]);
    expect(h.gateway.listeners().find((l) => l.leaseId === lease.id)).toMatchObject({
      transport: 'tcp-active',
      connected: false,
      sockets: { tcpListening: [], udpBound: [], tcpConnections: [], dialling: false },
    });

    const port = devicePort();
    const answered = await connectLease(lease.id, port);
    expect(answered).toMatchObject({ peerAddress: '127.0.0.1', peerPort: port });
    await waitFor(() => stats(lease).dial!.failures >= 2, 'two refused attempts');
    const device = await listeningDevice(port);
    try {
      const conn = await device.connected();
      // the service's end of the connection is its rtpPort (the port the SDP announced)
      expect(conn.remotePort).toBe(lease.rtpPort);
      await write(conn, FIRST_100);
      await waitFor(() => stats(lease).packets === 100, 'media flows');
      await waitFor(async () => (await state(lease)) === 'streaming', 'streaming');
      expect(stats(lease).dial).toMatchObject({ to: `127.0.0.1:${port}`, state: 'connected', lastError: 'ECONNREFUSED' });
      expect(stats(lease).dial!.attempts).toBeGreaterThanOrEqual(3);
      expect(tcpSocketsOn(lease.rtpPort)).toEqual([{ state: 'ESTABLISHED', remotePort: port }]);
      expect(h.gateway.listeners().find((l) => l.leaseId === lease.id)!.sockets.tcpConnections).toEqual([
        { localPort: lease.rtpPort, remote: `127.0.0.1:${port}`, dialled: true },
      ]);
      const failed = await eventsOf(lease, 'dial-failed');
      expect(failed[0].detail).toMatchObject({ to: `127.0.0.1:${port}`, from: lease.rtpPort, error: 'ECONNREFUSED' });
      // GB/T 28181-2022 Annex D: attempts at least 1 s apart
      const times = failed.map((e) => e.at);
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(900);
      expect((await eventsOf(lease, 'connect-requested'))[0].detail).toEqual({ address: '127.0.0.1', port });
    } finally {
      await h.release.release(lease.id);
      await device.close();
    }
    expect(tcpSocketsOn(lease.rtpPort).filter((s) => s.state === 'ESTABLISHED')).toEqual([]);
  });

  it('dials again after the device closes, and the idle timeout ends the lease', async () => {
    const port = devicePort();
    const device = await listeningDevice(port);
    try {
      const lease = await allocate('active-redial', {
        transport: 'tcp-active',
        peerAddress: '127.0.0.1',
        peerPort: port,
        idleTimeoutSeconds: 2,
      });
      const first = await device.connected(0);
      await write(first, FIRST_100);
      await waitFor(async () => (await state(lease)) === 'streaming', 'streaming');
      first.end();
      await waitFor(async () => (await state(lease)) === 'listening', 'back to listening');
      const second = await device.connected(1);
      await write(second, toRfc4571(PACKETS.slice(100, 150)));
      await waitFor(() => stats(lease).packets === 150, 'media again');
      expect(stats(lease)).toMatchObject({ connections: 2, reconnects: 1, lost: 0 });
      // the device goes silent, connected: the idle timeout ends the lease and closes the connection
      const end = await ended(lease);
      expect(end).toMatchObject({ state: 'expired', releaseReason: 'idle-timeout' });
      await waitFor(() => second.destroyed || second.readableEnded, 'the connection closed');
    } finally {
      await device.close();
    }
  });

  it('binds rtpPort again for the next lease of the pair while the last connection sits in TIME_WAIT (SO_REUSEADDR)', async () => {
    const rtpPort = block.start + 60;
    const d1 = await listeningDevice(devicePort());
    const d2 = await listeningDevice(devicePort());
    try {
      const a = await allocate('active-tw-a', { transport: 'tcp-active', rtpPort, peerAddress: '127.0.0.1', peerPort: d1.port });
      const c1 = await d1.connected();
      await write(c1, FIRST_100);
      await waitFor(() => stats(a).packets === 100, 'media on the first lease');
      // the service closes first (release): its side of the connection goes to TIME_WAIT
      await h.release.release(a.id);
      await waitFor(() => tcpSocketsOn(rtpPort).some((s) => s.state === 'TIME_WAIT'), 'TIME_WAIT on rtpPort');

      const b = await allocate('active-tw-b', { transport: 'tcp-active', rtpPort, peerAddress: '127.0.0.1', peerPort: d2.port });
      const c2 = await d2.connected();
      expect(c2.remotePort).toBe(rtpPort);
      await write(c2, FIRST_100);
      await waitFor(() => stats(b).packets === 100, 'media on the next lease of the pair');
      expect(stats(b).dial).toMatchObject({ attempts: 1, failures: 0 });
      const states = tcpSocketsOn(rtpPort).map((s) => s.state);
      expect(states).toContain('TIME_WAIT');
      expect(states).toContain('ESTABLISHED');
      await h.release.release(b.id);
    } finally {
      await d1.close();
      await d2.close();
    }
  });

  it('refuses connect on a lease of another transport (wrong_transport) and on an ended lease (lease_ended)', async () => {
    const passive = await allocate('active-wrong', {});
    await expect(connectLease(passive.id, devicePort())).rejects.toBeInstanceOf(WrongTransportError);
    const udp = await allocate('active-wrong-udp', { transport: 'udp' });
    await expect(connectLease(udp.id, devicePort())).rejects.toMatchObject({ code: 'wrong_transport' });
    const active = await allocate('active-ended', { transport: 'tcp-active' });
    await h.release.release(active.id);
    await expect(connectLease(active.id, devicePort())).rejects.toBeInstanceOf(LeaseEndedError);
  });

  it('counts the connect timeout from the connect call, not from allocation, and then ends the lease', async () => {
    const lease = await allocate('active-connect-timeout', { transport: 'tcp-active', connectTimeoutSeconds: 1 });
    // longer than the connect timeout, without a connect call: the lease waits for the device's address
    await new Promise((r) => setTimeout(r, 1300));
    expect(await state(lease)).toBe('listening');
    await connectLease(lease.id, devicePort());
    const end = await ended(lease);
    expect(end).toMatchObject({ state: 'expired', releaseReason: 'connect-timeout' });
    expect(end.finalStats).toMatchObject({ transport: 'tcp-active', dial: { failures: expect.any(Number) } });
    expect(tcpSocketsOn(lease.rtpPort)).toEqual([]);
  });

  it('a release while the next attempt waits cancels it: no socket on rtpPort, and no dial later', async () => {
    const port = devicePort();
    const lease = await allocate('active-release-wait', { transport: 'tcp-active', peerAddress: '127.0.0.1', peerPort: port });
    await waitFor(() => stats(lease).dial!.state === 'waiting', 'waiting for the next attempt');
    await h.release.release(lease.id);
    expect(tcpSocketsOn(lease.rtpPort)).toEqual([]);
    // the device comes up after the release: it is never dialled
    expect(await dialsAfterTheEnd(port)).toEqual([]);
  });

  it('a release while an attempt is in flight (SYN_SENT to a full backlog) destroys it: no socket on rtpPort', async () => {
    const port = devicePort();
    // a device whose accept queue is full: its kernel drops our SYN, the attempt stays in flight
    const stuck = spawn('python3', [
      '-c',
      `import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('127.0.0.1',${port}))\ns.listen(0)\nprint('up',flush=True)\ntime.sleep(60)`,
    ]);
    try {
      await new Promise<void>((resolve) => stuck.stdout.once('data', () => resolve()));
      const fillers = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
      fillers.forEach((f) => f.on('error', () => undefined));
      await new Promise((r) => setTimeout(r, 200));
      const lease = await allocate('active-release-syn', { transport: 'tcp-active', peerAddress: '127.0.0.1', peerPort: port });
      await waitFor(() => tcpSocketsOn(lease.rtpPort).some((s) => s.state === 'SYN_SENT'), 'an attempt in flight');
      expect(stats(lease).dial!.state).toBe('connecting');
      await h.release.release(lease.id);
      expect(tcpSocketsOn(lease.rtpPort)).toEqual([]);
      fillers.forEach((f) => f.destroy());
    } finally {
      stuck.kill('SIGKILL');
    }
  });
});
