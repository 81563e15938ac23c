import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk } from '../../fixtures/rtp/fixtures';
import { waitFor } from '../../support/wait-for';
import { runSim } from '../../support/pull';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');

describe('device simulator (built CLI) against the running service', () => {
  const block = portBlock(12);
  const dir = tempDir('portledger-sim-');
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    svc = await startService({
      HTTP_PORT: String(block.http(0)),
      MEDIA_PORT_RANGE: block.range(30),
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
      LOG_LEVEL: 'warn',
    });
    client = api(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.stop();
    dir.cleanup();
  });

  const lease = async (id: string) => (await client.get(`/api/v1/leases/${id}`)).body;

  it('asks for N leases, pushes the capture looped with continued sequence numbers, and reports a JSON summary', async () => {
    const r = await runSim([
      '--api',
      svc.baseUrl,
      '--streams',
      '3',
      '--flat',
      '--loops',
      '2',
      '--lease-ssrc',
      '--keep',
      '--json',
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ streams: 3, connectedPeak: 3, errors: 0, bytes: 3 * 2 * CAPTURE.length });
    expect(summary.leases).toHaveLength(3);
    for (const id of summary.leases) {
      const l = await waitFor(async () => {
        const got = await lease(id);
        return got.stats?.packets === 2 * 2308 && got;
      }, 'all packets of both loops');
      expect(l).toMatchObject({ ssrc: '0123456789', client: 'device-sim' });
      expect(l.stats).toMatchObject({
        packets: 2 * 2308,
        lost: 0,
        reordered: 0,
        duplicates: 0,
        droppedForeignSsrc: 0,
        ssrcSeen: '0123456789',
      });
    }
  });

  it('paces in real time, speaks RFC 2326 when asked, and releases its leases at the end', async () => {
    const r = await runSim(['--api', svc.baseUrl, '--file', 'g711', '--realtime', '--speed', '10', '--framing', 'rfc2326', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[device-sim\] streams \d+\/1 \| [\d.]+ Mb\/s \| [\d.]+ MB \| errors 0/);
    const [id] = JSON.parse(r.stdout).leases;
    const l = await lease(id);
    expect(l).toMatchObject({ state: 'released', releaseReason: 'client' });
    expect(l.stats).toMatchObject({ packets: 1291, framing: 'rfc2326', codec: { video: 'h264', audio: 'g711a' }, lost: 0 });
  });

  it('pushes straight to a port, and counts a refused connection as an error (exit 1)', async () => {
    const made = (await client.post('/api/v1/leases', { streamId: 'direct' })).body;
    const ok = await runSim(['--host', '127.0.0.1', '--port', String(made.rtpPort), '--flat', '--json', '--quiet']);
    expect(ok.code).toBe(0);
    await waitFor(async () => (await lease(made.id)).stats.packets === 2308, 'all packets');
    await client.del(`/api/v1/leases/${made.id}`);
    const refused = await runSim(['--host', '127.0.0.1', '--port', String(made.rtpPort), '--flat', '--json', '--quiet']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ errors: 1, errorKinds: { ECONNREFUSED: 1 } });
  });

  it('rejects bad options with exit code 2 and names the option', async () => {
    const r = await runSim(['--api', svc.baseUrl, '--framing', 'udp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--framing');
  });
});
