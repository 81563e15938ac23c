import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk } from '../../fixtures/rtp/fixtures';
import { connectDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';
import { wvpClient } from './support';

const SECRET = 'zlm-test-secret';
const FIXTURE_SSRC = 123456789; // SSRC of zlm-tcp-ps-rtp.bin

describe.each(DB_KINDS)('ZLMediaKit-compatible API, called as WVP-GB28181-pro calls it, on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 35 : 40);
  const range = block.range(8);
  const [first, last] = range.split('-').map(Number);
  let db: TestDatabase;
  let svc: ServiceProcess;
  let rest: ReturnType<typeof api>;
  let wvp: ReturnType<typeof wvpClient>;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    svc = await startService({ DATABASE_URL: db.url, MEDIA_PORT_RANGE: range, HTTP_PORT: String(block.http()), ZLM_API_SECRET: SECRET });
    rest = api(svc.baseUrl);
    wvp = wvpClient(svc.baseUrl, SECRET);
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  const restLease = async (streamId: string) => (await rest.get(`/api/v1/leases?streamId=${streamId}&limit=1`)).body.items[0];

  it('opens a TCP-passive server on a pair from the range, lists it, and closes it (hit 1, then 0)', async () => {
    const streamId = '34020000001320000001_34020000001310000001';
    expect((await wvp.getRtpInfo(streamId)).body).toEqual({ code: 0, exist: false });

    const open = await wvp.openRtpServer(streamId, { ssrc: 200000001 });
    expect(open.status).toBe(200);
    expect(open.body).toEqual({ code: 0, port: expect.any(Number) });
    expect(open.body.port).toBeGreaterThanOrEqual(first);
    expect(open.body.port).toBeLessThanOrEqual(last);

    const list = await wvp.listRtpServer();
    expect(list.body.code).toBe(0);
    expect(list.body.data).toContainEqual({
      vhost: '__defaultVhost__',
      app: 'rtp',
      stream_id: streamId,
      port: open.body.port,
      ssrc: 200000001,
      tcp_mode: 1,
      only_track: 0,
    });

    const lease = await restLease(streamId);
    expect(lease).toMatchObject({
      state: 'listening',
      rtpPort: open.body.port,
      ssrc: '0200000001',
      client: 'zlm-api',
      transport: 'tcp-passive',
    });
    // The configured defaults apply (LEASE_TTL_S 3600).
    expect(Date.parse(lease.expiresAt) - Date.parse(lease.createdAt)).toBe(3_600_000);

    expect((await wvp.closeRtpServer(streamId)).body).toEqual({ code: 0, hit: 1 });
    expect((await wvp.closeRtpServer(streamId)).body).toEqual({ code: 0, hit: 0 });
    expect(await restLease(streamId)).toMatchObject({ state: 'released', releaseReason: 'client' });
  });

  it('shares leases with the REST API both ways', async () => {
    const viaRest = await rest.post('/api/v1/leases', { streamId: 'made-by-rest', ssrc: '0200000002' });
    expect(viaRest.status).toBe(201);
    expect((await wvp.listRtpServer()).body.data).toContainEqual(
      expect.objectContaining({ stream_id: 'made-by-rest', port: viaRest.body.rtpPort, ssrc: 200000002 }),
    );
    expect((await wvp.openRtpServer('made-by-rest')).body).toEqual({ code: -300, msg: 'This stream already exists' });
    expect((await wvp.closeRtpServer('made-by-rest')).body).toEqual({ code: 0, hit: 1 });
    expect((await rest.get(`/api/v1/leases/${viaRest.body.id}`)).body.state).toBe('released');

    const viaZlm = await wvp.openRtpServer('made-by-zlm');
    const lease = await restLease('made-by-zlm');
    expect(lease.rtpPort).toBe(viaZlm.body.port);
    expect((await rest.del(`/api/v1/leases/${lease.id}`)).status).toBe(200);
    expect((await wvp.listRtpServer()).body.data.map((d: { stream_id: string }) => d.stream_id)).not.toContain('made-by-zlm');
  });

  it('answers -300 "This stream already exists" for an open stream_id', async () => {
    expect((await wvp.openRtpServer('twice')).body.code).toBe(0);
    expect((await wvp.openRtpServer('twice')).body).toEqual({ code: -300, msg: 'This stream already exists' });
    await wvp.closeRtpServer('twice');
  });

  it.each([3, 9])('refuses tcp_mode %i (not 0 UDP, 1 TCP-PASSIVE or 2 TCP-ACTIVE) with -300, and leases nothing', async (tcpMode) => {
    const r = await wvp.openRtpServer(`mode-${tcpMode}`, { tcpMode });
    expect(r.status).toBe(200);
    expect(r.body.code).toBe(-300);
    expect(r.body.msg).toContain('tcp_mode must be 0 (UDP), 1 (TCP-PASSIVE) or 2 (TCP-ACTIVE)');
    expect(await restLease(`mode-${tcpMode}`)).toBeUndefined();
  });

  it('opens exactly the pair asked for; a leased port is -400, a port outside the range or odd is -300', async () => {
    const port = first + 6;
    expect((await wvp.openRtpServer('fixed-port', { port })).body).toEqual({ code: 0, port });
    const taken = await wvp.openRtpServer('fixed-port-2', { port });
    expect(taken.body.code).toBe(-400);
    expect((await wvp.openRtpServer('outside', { port: last + 1 })).body.code).toBe(-300);
    expect((await wvp.openRtpServer('odd', { port: first + 1 })).body.code).toBe(-300);
    await wvp.closeRtpServer('fixed-port');
  });

  it('answers -400 when no pair is free', async () => {
    const free: number = (await rest.get('/api/v1/ports')).body.free;
    const ids = Array.from({ length: free }, (_, i) => `fill-${i}`);
    for (const id of ids) expect((await wvp.openRtpServer(id)).body.code).toBe(0);
    const r = await wvp.openRtpServer('one-too-many');
    expect(r.status).toBe(200);
    expect(r.body.code).toBe(-400);
    for (const id of ids) await wvp.closeRtpServer(id);
  });

  it('checks the secret before anything else: a missing or wrong one is -100 with HTTP 200, by GET, form, JSON and unreadable body', async () => {
    const wrong = wvpClient(svc.baseUrl, 'not-the-secret');
    for (const r of [await wrong.listRtpServer(), await wrong.openRtpServer('no-secret'), await wrong.getRtpInfo('x')]) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ code: -100, msg: 'Incorrect secret' });
    }
    const url = `${svc.baseUrl}/index/api/openRtpServer`;
    const post = (type: string, body: string, query = '') =>
      fetch(`${url}${query}`, { method: 'POST', headers: { 'content-type': type }, body });
    const noSecret = [
      await fetch(`${svc.baseUrl}/index/api/listRtpServer`),
      await fetch(`${url}?port=0&tcp_mode=1&stream_id=no-secret`),
      await fetch(`${url}?secret=&port=0&tcp_mode=1&stream_id=no-secret`),
      await post('application/x-www-form-urlencoded', 'port=0&tcp_mode=1&stream_id=no-secret'),
      await post('application/json', JSON.stringify({ port: 0, tcp_mode: 1, stream_id: 'no-secret' })),
      await post('application/json', JSON.stringify({ secret: 'wrong', port: 0, tcp_mode: 1, stream_id: 'no-secret' })),
      // the body cannot be read, so it cannot carry the secret either
      await post('application/json', `{"secret":"${SECRET}",`),
      await post('application/json', JSON.stringify({ secret: SECRET, stream_id: 'no-secret', pad: 'x'.repeat(70_000) })),
      await post('application/x-www-form-urlencoded', 'stream_id=no-secret', '?secret=wrong'),
    ];
    for (const r of noSecret) {
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ code: -100, msg: 'Incorrect secret' });
    }
    expect(await restLease('no-secret')).toBeUndefined();
    // with the secret in the query, the unreadable body itself is what is wrong
    const unreadable = await post('application/json', '{"stream_id":', `?secret=${SECRET}`);
    expect(unreadable.status).toBe(200);
    expect(await unreadable.json()).toMatchObject({ code: -300, msg: expect.stringContaining('unreadable request body') });
  });

  it('takes the same parameters as a GET query and as a JSON body; an unreadable body is still HTTP 200', async () => {
    const get = await fetch(`${svc.baseUrl}/index/api/openRtpServer?secret=${SECRET}&port=0&tcp_mode=1&stream_id=by-query&ssrc=7`);
    expect(get.status).toBe(200);
    const opened = await get.json();
    expect(opened).toEqual({ code: 0, port: expect.any(Number) });
    const post = (body: string) =>
      fetch(`${svc.baseUrl}/index/api/closeRtpServer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = await post(JSON.stringify({ secret: SECRET, stream_id: 'by-query' }));
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ code: 0, hit: 1 });
    const bad = await post('{"secret":');
    expect(bad.status).toBe(200);
    expect(((await bad.json()) as { code: number }).code).toBe(-100);
  });

  it('getRtpInfo answers exist only while accepted media flows, then with the device and the local port', async () => {
    const { body } = await wvp.openRtpServer('info-stream', { ssrc: FIXTURE_SSRC });
    const lease = await restLease('info-stream');
    expect((await wvp.getRtpInfo('info-stream')).body).toEqual({ code: 0, exist: false });
    const device = await connectDevice(body.port);
    await waitFor(async () => (await rest.get(`/api/v1/leases/${lease.id}`)).body.stats.connected, 'device connected');
    expect((await wvp.getRtpInfo('info-stream')).body).toEqual({ code: 0, exist: false });
    await device.push(readOk('zlm-tcp-ps-rtp.bin').subarray(0, 100_000));
    const info = await waitFor(async () => {
      const r = (await wvp.getRtpInfo('info-stream')).body;
      return r.exist ? r : null;
    }, 'getRtpInfo with a peer');
    expect(info).toEqual({
      code: 0,
      exist: true,
      peer_ip: '127.0.0.1',
      peer_port: device.socket.localPort,
      local_ip: '127.0.0.1',
      local_port: body.port,
      tcp_mode: 1,
    });
    await device.end();
    await wvp.closeRtpServer('info-stream');
  });

  it('getRtpInfo answers exist false, and the lease stays listening, while every packet is dropped (foreign SSRC)', async () => {
    const { body } = await wvp.openRtpServer('dropped-stream', { ssrc: 1 });
    const lease = await restLease('dropped-stream');
    const device = await connectDevice(body.port);
    await device.push(readOk('zlm-tcp-ps-rtp.bin').subarray(0, 100_000));
    const dropped = await waitFor(async () => {
      const l = (await rest.get(`/api/v1/leases/${lease.id}`)).body;
      return l.stats.droppedForeignSsrc > 100 ? l : null;
    }, 'packets dropped');
    expect(dropped).toMatchObject({ state: 'listening', stats: { connected: true, packets: 0 } });
    expect((await wvp.getRtpInfo('dropped-stream')).body).toEqual({ code: 0, exist: false });
    await device.end();
    await wvp.closeRtpServer('dropped-stream');
  });

  it('updateRtpServerSSRC changes the SSRC the running session accepts, and records it', async () => {
    const { body } = await wvp.openRtpServer('ssrc-switch', { ssrc: 1 });
    expect((await wvp.updateRtpServerSSRC('ssrc-switch', String(FIXTURE_SSRC).padStart(10, '0'))).body).toEqual({ code: 0 });
    const lease = await restLease('ssrc-switch');
    expect(lease.ssrc).toBe('0123456789');
    expect((await wvp.listRtpServer()).body.data).toContainEqual(expect.objectContaining({ stream_id: 'ssrc-switch', ssrc: FIXTURE_SSRC }));

    const device = await connectDevice(body.port);
    await device.push(readOk('zlm-tcp-ps-rtp.bin').subarray(0, 200_000));
    const stats = await waitFor(async () => {
      const s = (await rest.get(`/api/v1/leases/${lease.id}`)).body.stats;
      return s.packets > 0 ? s : null;
    }, 'packets accepted with the new SSRC');
    expect(stats).toMatchObject({ ssrcSeen: '0123456789', droppedForeignSsrc: 0 });
    const events = (await rest.get(`/api/v1/leases/${lease.id}/events`)).body.items;
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'ssrc-updated', detail: { ssrc: '0123456789', previous: '0000000001' } }),
    );
    await device.end();
    await wvp.closeRtpServer('ssrc-switch');

    expect((await wvp.updateRtpServerSSRC('no-such-stream', '1')).body).toEqual({ code: -500, msg: 'RtpServer not found by stream_id' });
  });
});
