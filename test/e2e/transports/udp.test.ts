import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets } from '../../fixtures/rtp/fixtures';
import { portBlock } from '../../support/port-blocks';
import { boundUdpPorts, listeningPorts } from '../../support/proc-net';
import { pull } from '../../support/pull';
import { api, runUntilExit, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';
import { udpDevice, type UdpDevice } from '../../support/udp-device';
import { waitFor } from '../../support/wait-for';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const EXTRACTED = readOk('zlm-extracted.ps');
const PACKETS = rfc4571Packets(CAPTURE);

describe('UDP leases through the built service (SQLite)', () => {
  const block = portBlock(50);
  const range = block.range(20);
  const [from, to] = range.split('-').map(Number);
  const dir = tempDir('portledger-udp-');
  const env = {
    HTTP_PORT: String(block.http(0)),
    MEDIA_PORT_RANGE: range,
    DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
    RECORD_DIR: join(dir.path, 'records'),
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_S: '3600',
    // widens the insert→bind window so a DELETE lands in it (the race test)
    PORTLEDGER_TEST_DELAY_AFTER_INSERT_MS: '300',
  };
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;
  const devices: UdpDevice[] = [];
  const device = async () => {
    const d = await udpDevice();
    devices.push(d);
    return d;
  };

  beforeAll(async () => {
    svc = await startService(env);
    client = api(svc.baseUrl);
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
  });
  afterAll(async () => {
    await svc?.kill9();
    dir.cleanup();
  });

  const lease = async (streamId: string, extra: Record<string, unknown> = {}) => {
    const r = await client.post('/api/v1/leases', { streamId, transport: 'udp', ...extra });
    expect(r.status).toBe(201);
    return r.body as { id: string; rtpPort: number; rtcpPort: number; recordPath: string | null; transport: string };
  };
  const detail = async (id: string) => (await client.get(`/api/v1/leases/${id}`)).body;

  it('streams the capture: stats, codec, a live pull and the recording byte-identical to the extracted PS, as over TCP', async () => {
    const l = await lease('udp-e2e', { record: true });
    expect(l.transport).toBe('udp');
    expect(boundUdpPorts(l.rtpPort, l.rtcpPort)).toEqual([l.rtpPort, l.rtcpPort]);
    expect(listeningPorts(l.rtpPort, l.rtcpPort)).toEqual([]);
    const live = pull(`${svc.baseUrl}/api/v1/leases/${l.id}/stream.ps`);
    expect(await live.status).toBe(200);
    await waitFor(async () => (await detail(l.id)).stats.liveClients === 1, 'pull subscribed');
    const d = await device();
    await d.send(PACKETS, l.rtpPort);
    await waitFor(async () => (await detail(l.id)).stats.packets === 2308, 'all packets');
    const streaming = await detail(l.id);
    expect(streaming).toMatchObject({
      state: 'streaming',
      stats: {
        transport: 'udp',
        peer: `127.0.0.1:${d.port}`,
        ssrcSeen: '0123456789',
        codec: { video: 'h264', audio: 'aac' },
        lost: 0,
        psBytes: EXTRACTED.length,
        droppedForeignPeer: 0,
        kernelDrops: 0,
      },
    });
    expect((await client.del(`/api/v1/leases/${l.id}`)).status).toBe(200);
    expect(boundUdpPorts(l.rtpPort, l.rtcpPort)).toEqual([]);
    const got = await live.done;
    expect(got.body.equals(EXTRACTED)).toBe(true);
    expect(readFileSync(l.recordPath!).equals(EXTRACTED)).toBe(true);
  });

  it('drops and counts 100 foreign sources after latching, with 16 peer-rejected events', async () => {
    const l = await lease('udp-foreign-e2e');
    const owner = await device();
    await owner.send(PACKETS.slice(0, 5), l.rtpPort);
    await waitFor(async () => (await detail(l.id)).stats.packets === 5, 'latched');
    for (let i = 0; i < 100; i++) await (await device()).send(PACKETS.slice(5, 6), l.rtpPort);
    await waitFor(async () => (await detail(l.id)).stats.droppedForeignPeer === 100, '100 dropped');
    const events = (await client.get(`/api/v1/leases/${l.id}/events?limit=1000`)).body.items as { type: string }[];
    expect(events.filter((e) => e.type === 'peer-rejected')).toHaveLength(16);
    await client.del(`/api/v1/leases/${l.id}`);
  });

  it('a DELETE racing the POST of a UDP lease wins, and leaves no UDP socket', async () => {
    const posting = client.post('/api/v1/leases', { streamId: 'udp-race', transport: 'udp' });
    await waitFor(async () => (await client.get('/api/v1/leases?streamId=udp-race&limit=1')).body.items[0], 'the reserved row');
    const del = await client.del('/api/v1/leases?streamId=udp-race');
    expect(del.status).toBe(200);
    const post = await posting;
    expect(post.status).toBe(201);
    expect(post.body).toMatchObject({ state: 'released', transport: 'udp' });
    expect(boundUdpPorts(from, to)).toEqual([]);
  });

  it('resumes a UDP lease after kill -9 with both UDP sockets bound again, and it streams', async () => {
    const l = await lease('udp-restart');
    await svc.kill9();
    svc = await startService(env);
    client = api(svc.baseUrl);
    await waitFor(async () => (await detail(l.id)).state === 'listening', 'resumed');
    expect((await client.get(`/api/v1/leases/${l.id}/events`)).body.items.map((e: { type: string }) => e.type)).toContain(
      'resumed-after-restart',
    );
    expect(boundUdpPorts(l.rtpPort, l.rtcpPort)).toEqual([l.rtpPort, l.rtcpPort]);
    const d = await device();
    await d.send(PACKETS.slice(0, 20), l.rtpPort);
    await waitFor(async () => (await detail(l.id)).stats.packets === 20, 'streams after the restart');
    await client.del(`/api/v1/leases/${l.id}`);
    expect(boundUdpPorts(from, to)).toEqual([]);
  });
});

describe('the built service without its udp-batch addon', () => {
  const block = portBlock(50);
  const dir = tempDir('portledger-udp-noaddon-');

  afterAll(() => dir.cleanup());

  it('refuses to start, saying how to build the addon, and listens on nothing', async () => {
    const missing = join(dir.path, 'no-such', 'udp_batch.node');
    const { code, output } = await runUntilExit({
      HTTP_PORT: String(block.http(1)),
      MEDIA_PORT_RANGE: block.range(2, 200),
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
      RECORD_DIR: join(dir.path, 'records'),
      PORTLEDGER_UDP_BATCH_ADDON: missing,
    });
    expect(code).toBe(1);
    expect(output).toContain(
      `portledger: failed to start: UdpBatchUnavailableError: the udp-batch addon (recvmmsg receive for UDP leases) cannot be loaded from ${missing}`,
    );
    expect(output).toContain('npm run build:native');
    expect(listeningPorts(block.http(1), block.http(1))).toEqual([]);
  });
});
