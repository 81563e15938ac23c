import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets } from '../../fixtures/rtp/fixtures';
import { connectDevice } from '../../support/device';
import { tcpReceiver, type TcpReceiver } from '../../support/forward-receivers';
import { portBlock } from '../../support/port-blocks';
import { liveConnectionsTo } from '../../support/proc-net';
import { api, runUntilExit, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';
import { waitFor } from '../../support/wait-for';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const PACKETS = rfc4571Packets(CAPTURE).length;
const SECRET = 'zlm-secret';

/** A gauge's or counter's value in a /metrics text, NaN when absent. */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('forwarding through the running service: REST, the ZLMediaKit-compatible API, FORWARD_TO, metrics, shutdown', () => {
  const block = portBlock(56);
  const dir = tempDir('portledger-forward-');
  const receiverPort = block.start + 300;
  let receiver: TcpReceiver;
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    receiver = await tcpReceiver(receiverPort);
    svc = await startService({
      HTTP_PORT: String(block.http(0)),
      MEDIA_PORT_RANGE: block.range(20),
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
      FORWARD_TO: `tcp://127.0.0.1:${receiverPort}`,
      ZLM_API_SECRET: SECRET,
      LOG_LEVEL: 'warn',
    });
    client = api(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.stop();
    await receiver?.stop();
    dir.cleanup();
  });

  it('answers 400 naming forward or forwardSsrc when they are not valid', async () => {
    const bad = await client.post('/api/v1/leases', { streamId: 'bad-forward', forward: 'rtmp://127.0.0.1:1935' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('forward must be tcp://HOST:PORT or udp://HOST:PORT');
    const badSsrc = await client.post('/api/v1/leases', { streamId: 'bad-forward-ssrc', forwardSsrc: 'x' });
    expect(badSsrc.status).toBe(400);
    expect(JSON.stringify(badSsrc.body.message)).toContain('forwardSsrc must be');
  });

  it('shows the forward and the media server stream name on the lease; FORWARD_TO is the default, null opts out', async () => {
    const r = await client.post('/api/v1/leases', { streamId: 'rest-forward', ssrc: '200000001' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ forward: `tcp://127.0.0.1:${receiverPort}`, forwardSsrc: null, mediaStream: 'rtp/0BEBC201' });
    const off = await client.post('/api/v1/leases', { streamId: 'rest-no-forward', forward: null });
    expect(off.body).toMatchObject({ forward: null, mediaStream: null });
    const own = await client.post('/api/v1/leases', { streamId: 'rest-own-ssrc', forward: 'udp://127.0.0.1:9', forwardSsrc: 1 });
    expect(own.body).toMatchObject({ forward: 'udp://127.0.0.1:9', forwardSsrc: '0000000001', mediaStream: 'rtp/00000001' });
  });

  it('forwards a lease made through openRtpServer to FORWARD_TO, and reports it in stats and metrics', async () => {
    const z = await client.post('/index/api/openRtpServer', { secret: SECRET, port: 0, stream_id: 'zlm-forward', tcp_mode: 1 });
    expect(z.body).toMatchObject({ code: 0 });
    const leases = await client.get('/api/v1/leases?streamId=zlm-forward');
    const lease = leases.body.items[0];
    expect(lease.forward).toBe(`tcp://127.0.0.1:${receiverPort}`);
    const before = receiver.total();
    const d = await connectDevice(z.body.port);
    await d.push(CAPTURE, { seed: 5 });
    await waitFor(() => receiver.total() - before === CAPTURE.length, 'the capture at the receiver');
    const detail = await client.get(`/api/v1/leases/${lease.id}`);
    expect(detail.body.stats.forward).toMatchObject({ state: 'up', packets: 2308, dropped: 0, mediaStream: 'rtp/075BCD15' });
    const metrics = await client.get('/metrics');
    expect(metrics.body).toMatch(/portledger_forward_connections\{state="up"\} [1-9]/);
    expect(metrics.body).toMatch(/portledger_forward_packets_total \d+/);
    d.socket.destroy();
  });

  it('exits 0 on SIGTERM with a forward connection up, leaving none behind', async () => {
    expect(liveConnectionsTo(receiverPort).length).toBeGreaterThan(0);
    expect(await svc.stop()).toBe(0);
    expect(liveConnectionsTo(receiverPort)).toEqual([]);
  });

  it('refuses to start with a FORWARD_TO that is not a forward target, naming it', async () => {
    const r = await runUntilExit({
      HTTP_PORT: String(block.http(1)),
      MEDIA_PORT_RANGE: block.range(4, 100),
      DATABASE_URL: `sqlite:${join(dir.path, 'bad.sqlite')}`,
      FORWARD_TO: 'http://127.0.0.1:10000',
    });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('FORWARD_TO="http://127.0.0.1:10000"');
  });
});

describe('FORWARD_BUFFER_TOTAL_BYTES through the running service: drops past the total, the gauge, and its return to 0', () => {
  const block = portBlock(56);
  const dir = tempDir('portledger-forward-total-');
  /** below one lease's own bound (the default 4 MiB), so every drop here is the total's */
  const TOTAL = 2 * 1024 * 1024;
  /** a stuck lease passes the total by at most its reserve or one write (~96 KiB; see ForwardBudget) */
  const SLACK = 256 * 1024;
  const receivers: TcpReceiver[] = [];
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    svc = await startService({
      HTTP_PORT: String(block.http(2)),
      MEDIA_PORT_RANGE: block.range(10, 150),
      DATABASE_URL: `sqlite:${join(dir.path, 'total.sqlite')}`,
      FORWARD_BUFFER_TOTAL_BYTES: String(TOTAL),
      LOG_LEVEL: 'warn',
    });
    client = api(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.stop();
    await Promise.all(receivers.map((r) => r.stop()));
    dir.cleanup();
  });

  const metrics = async () => (await client.get('/metrics')).body as string;
  const forwardOf = async (id: string) => (await client.get(`/api/v1/leases/${id}`)).body.stats.forward;

  it('counts drops per lease once stuck targets fill the total, keeps a healthy lease whole, and shows 0 after the release', async () => {
    // Receivers at block offsets 310-312 (the first describe's is at 300).
    const [stuck1, stuck2, healthy] = await Promise.all([
      tcpReceiver(block.start + 310, { reading: false }),
      tcpReceiver(block.start + 311, { reading: false }),
      tcpReceiver(block.start + 312),
    ]);
    receivers.push(stuck1, stuck2, healthy);
    const lease = async (name: string, r: TcpReceiver) => {
      const res = await client.post('/api/v1/leases', { streamId: name, forward: `tcp://127.0.0.1:${r.port}` });
      expect(res.status).toBe(201);
      return res.body as { id: string; rtpPort: number };
    };
    const rounds = 8;
    const stuck = await Promise.all(
      [stuck1, stuck2].map(async (r, i) => {
        const l = await lease(`total-stuck-${i}`, r);
        const d = await connectDevice(l.rtpPort);
        for (let k = 0; k < rounds; k++) await d.push(CAPTURE, { seed: 30 + 10 * i + k });
        return { ...l, d };
      }),
    );
    for (const l of stuck)
      await waitFor(async () => (await client.get(`/api/v1/leases/${l.id}`)).body.stats.packets === rounds * PACKETS, 'all ingested');
    // The last batch of each is counted (sent or dropped) once written, up to FORWARD_BATCH_MS (80 ms) after its read.
    for (const l of stuck) {
      const settled = async () => {
        const f = await forwardOf(l.id);
        return f.packets + f.dropped === rounds * PACKETS;
      };
      await waitFor(settled, 'every packet forwarded or counted as dropped');
    }

    const held = metric(await metrics(), 'portledger_forward_buffered_bytes');
    expect(held).toBeGreaterThan(TOTAL - SLACK);
    expect(held).toBeLessThanOrEqual(TOTAL + SLACK);
    let dropped = 0;
    for (const l of stuck) {
      const f = await forwardOf(l.id);
      expect(f.dropped).toBeGreaterThan(0);
      expect(f.packets + f.dropped).toBe(rounds * PACKETS);
      dropped += f.dropped;
    }
    expect(metric(await metrics(), 'portledger_forward_packets_dropped_total')).toBe(dropped);

    // A device sending at a pace (~45 Mb/s) rather than flat out, to a receiver that reads: its
    // connection opens within its reserve and the kernel takes every write, so the exhausted total
    // never applies to it.
    const fine = await lease('total-healthy', healthy);
    const d = await connectDevice(fine.rtpPort);
    await d.push(CAPTURE, { seed: 60, pauseMs: 5 });
    await waitFor(() => healthy.total() === CAPTURE.length, 'the healthy lease forwarding everything');
    expect(healthy.bytes().equals(CAPTURE)).toBe(true);
    expect(await forwardOf(fine.id)).toMatchObject({ packets: PACKETS, dropped: 0 });

    for (const l of [...stuck, fine]) expect((await client.del(`/api/v1/leases/${l.id}`)).status).toBe(200);
    for (const x of [...stuck.map((l) => l.d), d]) x.socket.destroy();
    expect(metric(await metrics(), 'portledger_forward_buffered_bytes')).toBe(0);
  });
});
