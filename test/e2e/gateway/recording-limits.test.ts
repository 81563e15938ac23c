import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk } from '../../fixtures/rtp/fixtures';
import { connectDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { pull } from '../../support/pull';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const EXTRACTED = readOk('zlm-extracted.ps');
const MAX_BYTES = 500_000;
const SECRET = 'zlm-secret';

/** A RECORD_DIR on a 4 MB tmpfs of its own, so the test can fill the disk for real (needs root). */
function mountSmallDisk(path: string): boolean {
  mkdirSync(path, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('recording limits: RECORD_MAX_BYTES, a full disk, and streamIds that would leave RECORD_DIR', () => {
  const block = portBlock(46);
  const dir = tempDir('portledger-reclimits-');
  const records = join(dir.path, 'records');
  let mounted = false;
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    mounted = mountSmallDisk(records);
    svc = await startService({
      HTTP_PORT: String(block.http(0)),
      MEDIA_PORT_RANGE: block.range(20),
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
      RECORD_DIR: records,
      RECORD_MAX_BYTES: String(MAX_BYTES),
      ZLM_API_SECRET: SECRET,
      LOG_LEVEL: 'warn',
    });
    client = api(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.stop();
    if (mounted) execFileSync('umount', [records]);
    dir.cleanup();
  });

  const lease = async (streamId: string) => {
    const r = await client.post('/api/v1/leases', { streamId, record: true });
    expect(r.status).toBe(201);
    return r.body as { id: string; rtpPort: number; recordPath: string };
  };
  const get = async (id: string) => (await client.get(`/api/v1/leases/${id}`)).body;
  const events = async (id: string) =>
    (await client.get(`/api/v1/leases/${id}/events`)).body.items as Array<{ type: string; detail: Record<string, unknown> }>;

  /** Pushes the whole capture with a live pull attached; the stream must go on whatever happens to the recording. */
  async function streamThrough(l: { id: string; rtpPort: number }) {
    const live = pull(`${svc.baseUrl}/api/v1/leases/${l.id}/stream.ps`);
    expect(await live.status).toBe(200);
    await waitFor(async () => (await get(l.id)).stats.liveClients === 1, 'pull subscribed');
    const device = await connectDevice(l.rtpPort);
    await device.push(CAPTURE, { seed: 46, maxChunk: 3000 });
    await waitFor(async () => (await get(l.id)).stats.packets === 2308, 'all packets');
    return { live, device };
  }

  it.each(['.', '..'])('answers streamId %j with 400 naming streamId, and the ZLMediaKit API with -300', async (streamId) => {
    const r = await client.post('/api/v1/leases', { streamId, record: true });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
    expect(r.body.message).toContain('streamId must be 1-128 characters of A-Za-z0-9_.:-, and not "." or ".."');
    const z = await client.post('/index/api/openRtpServer', { secret: SECRET, port: 0, stream_id: streamId, tcp_mode: 1 });
    expect(z.status).toBe(200);
    expect(z.body).toMatchObject({ code: -300 });
    expect(z.body.msg).toContain('stream_id must be');
    expect(readdirSync(records).filter((n) => n !== 'lost+found')).not.toContain(streamId);
  });

  it('stops a recording at RECORD_MAX_BYTES with an event, while the lease streams and the live pull gets every byte', async () => {
    const l = await lease('capped');
    const { live, device } = await streamThrough(l);
    await waitFor(async () => (await events(l.id)).some((e) => e.type === 'recording-stopped'), 'recording-stopped event');
    const stopped = (await events(l.id)).filter((e) => e.type === 'recording-stopped');
    expect(stopped.map((e) => e.detail)).toEqual([{ why: 'max-bytes', path: l.recordPath, bytes: MAX_BYTES }]);
    const now = await get(l.id);
    expect(now.state).toBe('streaming');
    expect(now.stats.recording).toMatchObject({ stopped: 'max-bytes', bytes: MAX_BYTES });
    expect(statSync(l.recordPath).size).toBe(MAX_BYTES);
    expect((await client.del(`/api/v1/leases/${l.id}`)).status).toBe(200);
    const got = await live.done;
    expect(got.body.equals(EXTRACTED)).toBe(true);
    expect(statSync(l.recordPath).size).toBe(MAX_BYTES);
    await device.end();
  });

  it('stops a recording on a full disk (ENOSPC) with an event; the lease, its stream and the ledger go on', async (ctx) => {
    if (!mounted) ctx.skip(); // needs `mount -t tmpfs` (root): the only honest way to fill a disk in a test
    // Leave ~300 KB free on the 4 MB disk: the second 256 KB buffer of the recording cannot be written.
    const free = Number(statfsSync(records).bavail) * Number(statfsSync(records).bsize);
    const filler = join(records, 'filler.bin');
    writeFileSync(filler, Buffer.alloc(free - 300 * 1024));
    // A service of its own without RECORD_MAX_BYTES, so only the disk can stop the recording.
    const unlimited = await startService({
      HTTP_PORT: String(block.http(1)),
      MEDIA_PORT_RANGE: block.range(20, 100),
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger-2.sqlite')}`,
      NODE_ID: 'e2e-full-disk',
      RECORD_DIR: records,
      LOG_LEVEL: 'warn',
    });
    const first = { svc, client };
    svc = unlimited;
    client = api(unlimited.baseUrl);
    try {
      const l = await lease('full-disk');
      const { live, device } = await streamThrough(l);
      await waitFor(async () => (await events(l.id)).some((e) => e.type === 'recording-stopped'), 'recording-stopped event');
      const stopped = (await events(l.id)).filter((e) => e.type === 'recording-stopped');
      expect(stopped.map((e) => e.detail.why)).toEqual(['disk-error: ENOSPC']);
      const now = await get(l.id);
      expect(now.state).toBe('streaming');
      expect(now.stats.recording.error).toContain('ENOSPC');
      // what was written before the disk filled is kept
      expect(statSync(l.recordPath).size).toBeGreaterThan(0);
      // the ledger still takes writes: another lease, and the release
      const other = await client.post('/api/v1/leases', { streamId: 'after-full-disk' });
      expect(other.status).toBe(201);
      expect((await client.del(`/api/v1/leases/${other.body.id}`)).status).toBe(200);
      expect((await client.del(`/api/v1/leases/${l.id}`)).body.state).toBe('released');
      expect((await live.done).body.equals(EXTRACTED)).toBe(true);
      await device.end();
    } finally {
      unlinkSync(filler);
      await unlimited.stop();
      ({ svc, client } = first);
    }
  });
});
