import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { connectDevice, type TestDevice } from '../../support/device';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';
import { waitFor } from '../../support/wait-for';

/**
 * Interoperability with a real ZLMediaKit (MediaServer built from its public source): the
 * fixture capture, pushed by a device through portledger and forwarded to ZLMediaKit's single
 * RTP port, appears there as `rtp/<hex of the forwarded SSRC>` and ffprobe reads its HTTP-FLV
 * with the capture's codecs (H.264 + AAC). Needs ZLM_BIN=/path/to/MediaServer (its config.ini
 * beside it, or ZLM_CONFIG) and ffprobe on PATH; without ZLM_BIN it is skipped.
 */
const ZLM_BIN = process.env.ZLM_BIN;
const ZLM_SECRET = 'anchor-secret';
const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const PACKETS = rfc4571Packets(CAPTURE);
const FORWARD_SSRC = 200000001;
const STREAM = '0BEBC201';

describe('ZLMediaKit interoperability', () => {
  const block = portBlock(0);
  const rtpPort = block.start + 300;
  const zlmHttp = block.http(1);
  let dir: ReturnType<typeof tempDir>;
  let zlm: ChildProcess | null = null;
  let svc: ServiceProcess | null = null;
  let device: TestDevice | null = null;

  beforeAll(async () => {
    if (!ZLM_BIN) return;
    if (spawnSync('ffprobe', ['-version']).error)
      throw new Error('ZLM_BIN is set but ffprobe is not on PATH: install ffmpeg (apt-get install -y ffmpeg)');
    dir = tempDir('portledger-zlm-');
    mkdirSync(join(dir.path, 'log'), { recursive: true });
    const template = readFileSync(process.env.ZLM_CONFIG ?? join(dirname(ZLM_BIN), 'config.ini'), 'utf8');
    const config = join(dir.path, 'config.ini');
    writeFileSync(
      config,
      template.replaceAll('@DIR@', dir.path).replaceAll('@HTTP_PORT@', String(zlmHttp)).replaceAll('@RTP_PORT@', String(rtpPort)),
    );
    zlm = spawn(ZLM_BIN, ['-c', config, '--log-dir', join(dir.path, 'log'), '-l', '2'], { stdio: 'ignore' });
    await waitFor(async () => (await zlmApi('getServerConfig')).code === 0, 'ZLMediaKit answering its API', 30_000);
    svc = await startService({
      HTTP_PORT: String(block.http(0)),
      MEDIA_PORT_RANGE: block.range(10),
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
      FORWARD_TO: `tcp://127.0.0.1:${rtpPort}`,
      LOG_LEVEL: 'warn',
    });
  }, 60_000);

  afterAll(async () => {
    device?.socket.destroy();
    await svc?.stop();
    if (zlm && zlm.exitCode === null) {
      const exited = new Promise((r) => zlm!.once('exit', r));
      zlm.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (zlm.exitCode === null) zlm.kill('SIGKILL');
    }
    dir?.cleanup();
  });

  async function zlmApi(call: string, query = ''): Promise<{ code: number; data?: unknown }> {
    const r = await fetch(`http://127.0.0.1:${zlmHttp}/index/api/${call}?secret=${ZLM_SECRET}${query}`);
    return (await r.json()) as { code: number; data?: unknown };
  }

  it.skipIf(!ZLM_BIN)(
    `the forwarded fixture plays from ZLMediaKit as rtp/${STREAM} (HTTP-FLV, ffprobe: h264 + aac)${ZLM_BIN ? '' : ' — skipped: set ZLM_BIN=/path/to/MediaServer to run it'}`,
    async () => {
      const client = api(svc!.baseUrl);
      const r = await client.post('/api/v1/leases', { streamId: 'zlm-interop', forwardSsrc: FORWARD_SSRC });
      expect(r.status).toBe(201);
      expect(r.body.mediaStream).toBe(`rtp/${STREAM}`);
      device = await connectDevice(r.body.rtpPort);
      const pushing = pushInRealTime(device, PACKETS);

      await waitFor(
        async () => {
          const list = await zlmApi('getMediaList', `&app=rtp&stream=${STREAM}`);
          return Array.isArray(list.data) && list.data.length > 0;
        },
        `rtp/${STREAM} in ZLMediaKit`,
        20_000,
      );
      const probe = await ffprobe(`http://127.0.0.1:${zlmHttp}/rtp/${STREAM}.live.flv`);
      expect(probe.map((s) => [s.codec_type, s.codec_name]).sort()).toEqual([
        ['audio', 'aac'],
        ['video', 'h264'],
      ]);
      const detail = await client.get(`/api/v1/leases/${r.body.id}`);
      expect(detail.body.stats.forward).toMatchObject({ state: 'up', dropped: 0, mediaStream: `rtp/${STREAM}` });
      await pushing;
    },
    60_000,
  );
});

/** Writes the packets at the pace of their RTP timestamps (90 kHz), as a camera sends them. */
async function pushInRealTime(device: TestDevice, packets: Buffer[]): Promise<void> {
  const t0 = Date.now();
  const ts0 = packets[0].readUInt32BE(4);
  for (let i = 0; i < packets.length && !device.isClosed();) {
    const dueMs = ((packets[i].readUInt32BE(4) - ts0) >>> 0) / 90;
    const wait = dueMs - (Date.now() - t0);
    if (wait > 0) await sleep(wait);
    let j = i;
    while (j < packets.length && ((packets[j].readUInt32BE(4) - ts0) >>> 0) / 90 <= Date.now() - t0) j++;
    device.socket.write(toRfc4571(packets.slice(i, Math.max(j, i + 1))));
    i = Math.max(j, i + 1);
  }
}

function ffprobe(url: string): Promise<{ codec_type: string; codec_name: string }[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-rw_timeout', '10000000', '-show_streams', '-of', 'json', url],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`ffprobe ${url} failed: ${stderr || err.message}`));
        resolve((JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[] }).streams);
      },
    );
  });
}
