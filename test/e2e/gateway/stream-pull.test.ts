import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOk } from '../../fixtures/rtp/fixtures';
import { portBlock } from '../../support/port-blocks';
import type { api, ServiceProcess } from '../../support/service-process';
import { connectDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { pull, runSim, stalledPull } from '../../support/pull';
import { pullService } from './pull-service';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const EXTRACTED = readOk('zlm-extracted.ps');

describe('live pull and recording through the running service (GET /api/v1/leases/:id/stream.ps)', () => {
  const block = portBlock(11);
  const service = pullService(block, 'portledger-pull-', (dir) => ({ RECORD_DIR: join(dir, 'records') }));
  const { dir, lease, stats, url } = service;
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;
  beforeAll(() => {
    svc = service.svc();
    client = service.client();
  });

  it('gives a pull started before the device connects, and the recording, exactly the extracted PS', async () => {
    const l = await lease('identity', { record: true });
    expect(l.recordPath).toContain(join(dir.path, 'records', 'identity'));
    expect(l.recordPath).toContain(l.id);
    const early = pull(url(l.id));
    expect(await early.status).toBe(200);
    await waitFor(async () => (await stats(l.id)).liveClients === 1, 'pull subscribed');
    const device = await connectDevice(l.rtpPort);
    await device.push(CAPTURE, { seed: 21, maxChunk: 3000 });
    await waitFor(async () => (await stats(l.id)).packets === 2308, 'all packets');
    expect((await client.del(`/api/v1/leases/${l.id}`)).status).toBe(200);
    const got = await early.done;
    expect(got.complete).toBe(true);
    expect(got.body.length).toBe(EXTRACTED.length);
    expect(got.body.equals(EXTRACTED)).toBe(true);
    expect(readFileSync(l.recordPath!).equals(EXTRACTED)).toBe(true);
    const ended = (await client.get(`/api/v1/leases/${l.id}`)).body;
    expect(ended.stats).toMatchObject({ packets: 2308, recording: { path: l.recordPath, bytes: EXTRACTED.length, error: null } });
  });

  it('drops a stalled client once it is far behind, while the other client gets every byte', async () => {
    const loops = 8;
    const l = await lease('two-clients');
    const fast = pull(url(l.id));
    const slow = stalledPull('127.0.0.1', block.http(0), `/api/v1/leases/${l.id}/stream.ps`);
    await waitFor(async () => (await stats(l.id)).liveClients === 2, 'both subscribed');
    const sim = await runSim([
      '--api',
      svc.baseUrl,
      '--lease',
      l.id,
      '--realtime',
      '--speed',
      '40',
      '--loops',
      String(loops),
      '--quiet',
      '--json',
    ]);
    expect(sim.code).toBe(0);
    await waitFor(async () => (await stats(l.id)).packets === 2308 * loops, 'all packets');
    // the paused client cannot see the server's close until it reads; the service's count shows it
    await waitFor(async () => (await stats(l.id)).liveClients === 1, 'the stalled client dropped');
    slow.socket.destroy();
    await client.del(`/api/v1/leases/${l.id}`);
    const got = await fast.done;
    expect(got.complete).toBe(true);
    expect(got.body.equals(Buffer.concat(Array.from({ length: loops }, () => EXTRACTED)))).toBe(true);
  });

  it('starts a client that joins mid-stream at a keyframe pack', async () => {
    const l = await lease('mid-join');
    const sim = runSim(['--api', svc.baseUrl, '--lease', l.id, '--realtime', '--speed', '3', '--loops', '1', '--quiet']);
    await waitFor(async () => (await stats(l.id))?.packets > 600, 'stream under way');
    const late = pull(url(l.id));
    await waitFor(() => late.received() > 100_000, 'data for the late client');
    await sim;
    await client.del(`/api/v1/leases/${l.id}`);
    const { body } = await late.done;
    // a whole pack from the capture, with system header and PSM: where a decoder can start
    expect([...body.subarray(0, 4)]).toEqual([0, 0, 1, 0xba]);
    expect([...body.subarray(14, 18)]).toEqual([0, 0, 1, 0xbb]);
    const at = EXTRACTED.indexOf(body.subarray(0, 4096));
    expect(at).toBeGreaterThan(0);
    expect(body.equals(EXTRACTED.subarray(at))).toBe(true);
  });

  it('answers 404 for an unknown lease and 409 for one that ended', async () => {
    const unknown = await client.get('/api/v1/leases/00000000-0000-4000-8000-000000000000/stream.ps');
    expect(unknown.status).toBe(404);
    const l = await lease('ended');
    await client.del(`/api/v1/leases/${l.id}`);
    const ended = await client.get(`/api/v1/leases/${l.id}/stream.ps`);
    expect(ended.status).toBe(409);
    expect(ended.body).toMatchObject({ error: 'lease_ended' });
  });
});
