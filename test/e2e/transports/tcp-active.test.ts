import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { dialsAfterTheEnd, listeningDevice, write } from '../../support/listening-device';
import { portBlock } from '../../support/port-blocks';
import { boundUdpPorts, tcpSocketsOn } from '../../support/proc-net';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';
import { waitFor } from '../../support/wait-for';
import { wvpClient } from '../integrations/support';

const PACKETS = rfc4571Packets(readOk('zlm-tcp-ps-rtp.bin'));
const MEDIA = toRfc4571(PACKETS.slice(0, 200));
const SECRET = 'zlm-transports-secret';

describe('TCP-ACTIVE leases and the ZLMediaKit tcp_mode mapping through the built service (SQLite)', () => {
  const block = portBlock(55);
  const range = block.range(20);
  const dir = tempDir('portledger-active-');
  const env = {
    HTTP_PORT: String(block.http(0)),
    MEDIA_PORT_RANGE: range,
    DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_S: '3600',
    ZLM_API_SECRET: SECRET,
  };
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;
  let wvp: ReturnType<typeof wvpClient>;
  /** device ports: above the media range, below the HTTP ports */
  let nextDevicePort = block.start + 200;

  beforeAll(async () => {
    svc = await startService(env);
    client = api(svc.baseUrl);
    wvp = wvpClient(svc.baseUrl, SECRET);
  });
  afterAll(async () => {
    await svc?.kill9();
    dir.cleanup();
  });

  const detail = async (id: string) => (await client.get(`/api/v1/leases/${id}`)).body;
  const byStream = async (streamId: string) => (await client.get(`/api/v1/leases?streamId=${streamId}&limit=1`)).body.items[0];

  it('POST /leases/:id/connect dials the device from rtpPort; the lease streams; wrong_transport and bad bodies are refused', async () => {
    const created = await client.post('/api/v1/leases', { streamId: 'rest-active', transport: 'tcp-active' });
    expect(created.status).toBe(201);
    const l = created.body;
    expect(l).toMatchObject({ transport: 'tcp-active', state: 'listening', peerPort: null });
    const device = await listeningDevice(nextDevicePort++);
    try {
      const connect = await client.post(`/api/v1/leases/${l.id}/connect`, { address: '127.0.0.1', port: device.port });
      expect(connect.status).toBe(200);
      expect(connect.body).toMatchObject({ id: l.id, peerAddress: '127.0.0.1', peerPort: device.port });
      const conn = await device.connected();
      expect(conn.remotePort).toBe(l.rtpPort);
      await write(conn, MEDIA);
      await waitFor(async () => (await detail(l.id)).state === 'streaming', 'streaming');
      expect((await detail(l.id)).stats).toMatchObject({ transport: 'tcp-active', packets: 200, dial: { state: 'connected' } });
    } finally {
      await client.del(`/api/v1/leases/${l.id}`);
      await device.close();
    }
    expect(tcpSocketsOn(l.rtpPort).filter((s) => s.state === 'ESTABLISHED' || s.state === 'SYN_SENT')).toEqual([]);

    const passive = (await client.post('/api/v1/leases', { streamId: 'rest-passive' })).body;
    const wrong = await client.post(`/api/v1/leases/${passive.id}/connect`, { address: '127.0.0.1', port: 9 });
    expect(wrong.status).toBe(409);
    expect(wrong.body).toMatchObject({ error: 'wrong_transport', leaseId: passive.id, transport: 'tcp-passive' });
    const bad = await client.post(`/api/v1/leases/${passive.id}/connect`, { address: 'device.example', port: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['address', 'port']);
    const ended = await client.post(`/api/v1/leases/${l.id}/connect`, { address: '127.0.0.1', port: 9 });
    expect(ended.status).toBe(409);
    expect(ended.body.error).toBe('lease_ended');
    const notPassive = await client.post('/api/v1/leases', { streamId: 'rest-peer-port', peerPort: 15060 });
    expect(notPassive.status).toBe(400);
    await client.del(`/api/v1/leases/${passive.id}`);
  });

  it('retries until a device that listens 2 s late answers, dials again after it closes, and the idle timeout ends the lease', async () => {
    const port = nextDevicePort++;
    const l = (await client.post('/api/v1/leases', { streamId: 'active-late', transport: 'tcp-active', idleTimeoutSeconds: 2 })).body;
    expect((await client.post(`/api/v1/leases/${l.id}/connect`, { address: '127.0.0.1', port })).status).toBe(200);
    await waitFor(async () => (await detail(l.id)).stats.dial.failures >= 2, 'two refused attempts');
    const device = await listeningDevice(port);
    try {
      const first = await device.connected(0);
      await write(first, MEDIA);
      await waitFor(async () => (await detail(l.id)).state === 'streaming', 'streaming');
      expect((await detail(l.id)).stats.dial.attempts).toBeGreaterThanOrEqual(3);
      first.end();
      await waitFor(async () => (await detail(l.id)).state === 'listening', 'back to listening');
      const second = await device.connected(1);
      await write(second, toRfc4571(PACKETS.slice(200, 210)));
      await waitFor(async () => (await detail(l.id)).stats.packets === 210, 'streams again');
      // silent from now on: the idle timeout ends the lease and closes the connection
      const ended = await waitFor(async () => {
        const d = await detail(l.id);
        return d.state === 'expired' && d;
      }, 'idle timeout');
      expect(ended).toMatchObject({ releaseReason: 'idle-timeout', stats: { connections: 2 } });
      const types = (await client.get(`/api/v1/leases/${l.id}/events`)).body.items.map((e: { type: string }) => e.type);
      expect(types.filter((t: string) => t === 'dial-failed').length).toBeGreaterThanOrEqual(2);
      expect(tcpSocketsOn(l.rtpPort).filter((s) => s.state === 'ESTABLISHED' || s.state === 'SYN_SENT')).toEqual([]);
    } finally {
      await device.close();
    }
  });

  it('a DELETE while the service waits to dial again leaves no socket on rtpPort, and nothing dials later', async () => {
    const port = nextDevicePort++;
    const l = (
      await client.post('/api/v1/leases', { streamId: 'active-del', transport: 'tcp-active', peerAddress: '127.0.0.1', peerPort: port })
    ).body;
    await waitFor(async () => (await detail(l.id)).stats.dial.state === 'waiting', 'waiting to dial again');
    expect((await client.del(`/api/v1/leases/${l.id}`)).body.state).toBe('released');
    expect(tcpSocketsOn(l.rtpPort)).toEqual([]);
    // the device comes up after the release: it is never dialled
    expect(await dialsAfterTheEnd(port)).toEqual([]);
  });

  it('resumes a tcp-active lease with a known device after kill -9 and dials it again', async () => {
    const device = await listeningDevice(nextDevicePort++);
    try {
      const l = (
        await client.post('/api/v1/leases', {
          streamId: 'active-restart',
          transport: 'tcp-active',
          peerAddress: '127.0.0.1',
          peerPort: device.port,
        })
      ).body;
      await device.connected(0);
      await svc.kill9();
      svc = await startService(env);
      client = api(svc.baseUrl);
      wvp = wvpClient(svc.baseUrl, SECRET);
      const again = await device.connected(1);
      expect(again.remotePort).toBe(l.rtpPort);
      await write(again, MEDIA);
      await waitFor(async () => (await detail(l.id)).stats?.packets === 200, 'streams after the restart');
      await client.del(`/api/v1/leases/${l.id}`);
    } finally {
      await device.close();
    }
  });

  it('openRtpServer tcp_mode 0 makes a UDP lease, 2 a TCP-ACTIVE one; listRtpServer and getRtpInfo report each mode; connectRtpServer dials', async () => {
    const udp = await wvp.openRtpServer('zlm-udp', { tcpMode: 0 });
    expect(udp.body).toEqual({ code: 0, port: expect.any(Number) });
    expect(await byStream('zlm-udp')).toMatchObject({ transport: 'udp', rtpPort: udp.body.port });
    expect(boundUdpPorts(udp.body.port, udp.body.port + 1)).toEqual([udp.body.port, udp.body.port + 1]);
    const active = await wvp.openRtpServer('zlm-active', { tcpMode: 2 });
    expect(active.body.code).toBe(0);
    expect(await byStream('zlm-active')).toMatchObject({ transport: 'tcp-active', rtpPort: active.body.port });
    const passive = await wvp.openRtpServer('zlm-passive', { tcpMode: 1 });

    const list = (await wvp.listRtpServer()).body.data as { stream_id: string; tcp_mode: number }[];
    const modes = Object.fromEntries(list.map((s) => [s.stream_id, s.tcp_mode]));
    expect(modes).toMatchObject({ 'zlm-udp': 0, 'zlm-active': 2, 'zlm-passive': 1 });

    const device = await listeningDevice(nextDevicePort++);
    try {
      expect((await wvp.connectRtpServer('zlm-active', '127.0.0.1', device.port)).body).toEqual({ code: 0 });
      const conn = await device.connected();
      expect(conn.remotePort).toBe(active.body.port);
      await write(conn, MEDIA);
      const info = await waitFor(async () => {
        const r = (await wvp.getRtpInfo('zlm-active')).body;
        return r.exist ? r : null;
      }, 'getRtpInfo with the device');
      expect(info).toMatchObject({
        code: 0,
        exist: true,
        peer_ip: '127.0.0.1',
        peer_port: device.port,
        local_port: active.body.port,
        tcp_mode: 2,
      });
    } finally {
      await device.close();
    }
    expect((await wvp.connectRtpServer('no-such-stream', '127.0.0.1', 9)).body).toEqual({ code: -1, msg: 'can not find the stream' });
    expect((await wvp.connectRtpServer('zlm-passive', '127.0.0.1', 9)).body.code).toBe(-1);
    expect((await wvp.connectRtpServer('zlm-active', 'not-an-ip', 9)).body.code).toBe(-300);
    for (const s of ['zlm-udp', 'zlm-active', 'zlm-passive']) expect((await wvp.closeRtpServer(s)).body).toEqual({ code: 0, hit: 1 });
    expect(boundUdpPorts(udp.body.port, udp.body.port + 1)).toEqual([]);
    expect(passive.body.code).toBe(0);
  });
});
