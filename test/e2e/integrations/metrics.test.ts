import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, rtpPacket, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { connectDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';
import { parseMetrics } from './support';

const TOKEN = 'metrics-test-token';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('GET /metrics', () => {
  const block = portBlock(37);
  const range = block.range(10);
  let db: TestDatabase;
  let svc: ServiceProcess;
  let rest: ReturnType<typeof api>;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: range,
      HTTP_PORT: String(block.http()),
      AUTH_TOKENS: TOKEN,
      RECONCILE_INTERVAL_S: '3600',
    });
    rest = api(svc.baseUrl, TOKEN);
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  const scrape = async () => {
    const r = await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    return { text, m: parseMetrics(text), v: (key: string) => parseMetrics(text).get(key) ?? 0 };
  };

  it('follows the pool, the sessions and the stream totals as leases come and go', async () => {
    const before = await scrape();
    expect(before.v('portledger_port_pairs')).toBe(10);
    expect(before.v('portledger_port_pairs_leased')).toBe(0);
    expect(before.v('portledger_port_pairs_free')).toBe(10);

    const lease = (await rest.post('/api/v1/leases', { streamId: 'metered', ssrc: '0123456789' })).body;
    const leased = await scrape();
    expect(leased.v('portledger_port_pairs_leased')).toBe(1);
    expect(leased.v('portledger_port_pairs_free')).toBe(9);
    expect(leased.v('portledger_allocations_total')).toBe(before.v('portledger_allocations_total') + 1);

    const device = await connectDevice(lease.rtpPort);
    await device.push(toRfc4571(rfc4571Packets(readOk('zlm-tcp-ps-rtp.bin')).slice(0, 100)));
    // Packets with a foreign SSRC are dropped and counted.
    await device.push(toRfc4571([1, 2, 3].map((seq) => rtpPacket({ seq, ssrc: 42, payload: Buffer.alloc(20) }))));
    const streaming = await waitFor(async () => {
      const s = await scrape();
      return s.v('portledger_sessions_active') === 1 && s.v('portledger_rtp_foreign_ssrc_packets_dropped_total') === 3 ? s : null;
    }, 'a session with packets counted');
    expect(streaming.v('portledger_rtp_packets_total')).toBeGreaterThan(0);
    expect(streaming.v('portledger_rtp_bytes_total')).toBeGreaterThan(streaming.v('portledger_rtp_packets_total'));
    expect(streaming.m.has('portledger_rtp_packets_lost_total')).toBe(true);

    await device.end();
    await rest.del(`/api/v1/leases/${lease.id}`);
    const after = await scrape();
    expect(after.v('portledger_port_pairs_leased')).toBe(0);
    expect(after.v('portledger_sessions_active')).toBe(0);
    expect(after.v('portledger_releases_total{state="released",reason="client"}')).toBe(
      before.v('portledger_releases_total{state="released",reason="client"}') + 1,
    );
    // Counters keep what ended leases received.
    expect(after.v('portledger_rtp_packets_total')).toBeGreaterThanOrEqual(streaming.v('portledger_rtp_packets_total'));
    expect(after.v('portledger_rtp_foreign_ssrc_packets_dropped_total')).toBe(3);
  });

  it('counts allocation errors by reason and reconcile passes', async () => {
    await rest.post('/api/v1/leases', { streamId: 'conflicting', ssrc: '1' });
    expect((await rest.post('/api/v1/leases', { streamId: 'conflicting', ssrc: '2' })).status).toBe(409);
    const passes = (await scrape()).v('portledger_reconcile_pass_duration_seconds_count');
    await rest.post('/api/v1/reconcile');
    const s = await scrape();
    expect(s.v('portledger_allocation_errors_total{reason="stream_conflict"}')).toBe(1);
    expect(s.v('portledger_reconcile_pass_duration_seconds_count')).toBe(passes + 1);
    await rest.del('/api/v1/leases?streamId=conflicting');
  });

  it('times HTTP requests by route pattern, and never labels anything with a lease id', async () => {
    const lease = (await rest.post('/api/v1/leases', { streamId: 'labels' })).body;
    await rest.get(`/api/v1/leases/${lease.id}`);
    await rest.del(`/api/v1/leases/${lease.id}`);
    const { text, v } = await scrape();
    expect(
      v('portledger_http_request_duration_seconds_count{method="GET",route="/api/v1/leases/:id",status_code="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(UUID);
    for (const line of text.split('\n')) if (line && !line.startsWith('#')) expect(line).toMatch(/^portledger_/);
  });

  it('needs the bearer token when AUTH_TOKENS is set', async () => {
    const r = await fetch(`${svc.baseUrl}/metrics`);
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ statusCode: 401, error: 'unauthorized' });
  });
});
