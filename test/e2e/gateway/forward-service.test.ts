import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk } from '../../fixtures/rtp/fixtures';
import { connectDevice } from '../../support/device';
import { tcpReceiver, type TcpReceiver } from '../../support/forward-receivers';
import { portBlock } from '../../support/port-blocks';
import { liveConnectionsTo } from '../../support/proc-net';
import { api, runUntilExit, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';
import { waitFor } from '../../support/wait-for';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const SECRET = 'zlm-secret';

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
