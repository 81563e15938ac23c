import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOk } from '../../fixtures/rtp/fixtures';
import { openBrowser, type TestBrowser } from '../../support/browser';
import { connectDevice, type TestDevice } from '../../support/device';
import { startForeignListener, type ForeignListener } from '../../support/foreign-listener';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';
import { waitFor } from '../../support/wait-for';

const block = portBlock(52);
const PAIRS = 40;
const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
/** the last pair of the range: a foreign process holds its RTP port, so the reconciler quarantines it */
const FOREIGN_PORT = block.start + (PAIRS - 1) * 2;
/** free text a client may send (`client`): the console must show it as text, never as markup */
const MARKUP = '<img src=x onerror="document.title=1">&amp;';

describe('admin console in a real browser: the range, a lease, history, quarantine, reconcile, webhooks', () => {
  let db: TestDatabase;
  let svc: ServiceProcess;
  let browser: TestBrowser;
  let foreign: ForeignListener;
  let device: TestDevice;
  let pushing = true;
  let pushed: Promise<void>;
  const ids: Record<string, string> = {};
  const http = () => api(svc.baseUrl);
  const page = () => browser.page;
  const cellCount = () => page().locator('#grid .cell').count();

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    foreign = await startForeignListener(FOREIGN_PORT);
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: block.range(PAIRS),
      HTTP_PORT: String(block.http(0)),
      // a webhook receiver that is not there: the deliveries wait in the queue with their error
      WEBHOOK_URL: `http://127.0.0.1:${block.http(5)}/hook`,
      WEBHOOK_SECRET: 'console-test',
      RECONCILE_INTERVAL_S: '3600',
      RECONCILE_MIN_AGE_S: '0',
      LOG_LEVEL: 'warn',
    });
    for (let i = 1; i <= 6; i++) {
      const client = i === 2 ? MARKUP : undefined;
      const r = await http().post('/api/v1/leases', { streamId: `cam-${i}`, client, idleTimeoutSeconds: 600, connectTimeoutSeconds: 600 });
      expect(r.status).toBe(201);
      ids[`cam-${i}`] = r.body.id;
    }
    // cam-1 streams: the capture in slices, ~1.6 Mb/s, so its bitrate window always has data
    const first = await http().get(`/api/v1/leases/${ids['cam-1']}`);
    device = await connectDevice(first.body.rtpPort);
    pushed = (async () => {
      for (let at = 0; pushing && at < CAPTURE.length; at += 20_000) {
        await device.push(CAPTURE.subarray(at, at + 20_000));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // two passes: a foreign occupant is acted on when seen twice in a row
    await http().post('/api/v1/reconcile');
    await http().post('/api/v1/reconcile');
    browser = await openBrowser();
    await page().goto(`${svc.baseUrl}/admin`);
    await waitFor(async () => (await cellCount()) === PAIRS, 'the grid drawn');
  }, 60_000);

  afterAll(async () => {
    pushing = false;
    await pushed;
    await device?.end();
    await browser?.close();
    await svc?.stop();
    await foreign?.kill();
    await db?.drop();
  });

  it('draws one cell per pair with the state, lease and totals the API reports', async () => {
    // the state must hold still while page and API are compared: cam-1 streams from here on
    await waitFor(async () => (await http().get(`/api/v1/leases/${ids['cam-1']}`)).body.state === 'streaming', 'cam-1 streaming');
    const usage = (await http().get('/api/v1/ports')).body;
    const grid = (await http().get('/api/v1/ports/pairs')).body;
    expect(grid.totals).toMatchObject({ pairs: usage.pairs, free: usage.free, leased: usage.leased, quarantined: usage.quarantined });
    expect(usage.leased).toBe(6);
    expect(usage.quarantined).toBe(1);
    for (const key of ['pairs', 'free', 'leased', 'quarantined'])
      await waitFor(async () => (await page().locator(`[data-total="${key}"]`).textContent()) === String(usage[key]), `total ${key}`);

    const readCells = () =>
      page().$$eval('#grid .cell', (els) =>
        els.map((e) => ({
          port: Number((e as any).dataset.port),
          state: (e as any).dataset.state,
          lease: (e as any).dataset.lease ?? null,
          text: e.textContent,
        })),
      );
    const expected = grid.pairs.map((p: any) => ({ port: p.rtpPort, state: p.state, lease: p.lease?.id ?? null }));
    // the page shows what it read at its last refresh (every 3 s): wait for the one after cam-1 began to stream
    const cells = await waitFor(async () => {
      const now = await readCells();
      expect(now.map(({ port, state, lease }) => ({ port, state, lease }))).toEqual(expected);
      return now;
    }, 'the cells as the API has them');
    for (const [i, c] of cells.entries()) {
      const p = grid.pairs[i];
      // the state reads as a word too, not by colour alone
      expect(c.text).toContain(p.state);
      if (p.lease) expect(c.text).toContain(p.lease.streamId);
    }
    expect(grid.pairs.filter((p: any) => p.lease).map((p: any) => p.lease.streamId)).toEqual([
      'cam-1',
      'cam-2',
      'cam-3',
      'cam-4',
      'cam-5',
      'cam-6',
    ]);
    const quarantined = cells.find((c) => c.port === FOREIGN_PORT)!;
    expect(quarantined.state).toBe('quarantined');
    expect(quarantined.text).toContain(`pid ${foreign.pid}`);
  });

  it('asks the grid endpoint for the stats its cells show; a bad stat name is a 400 naming the field', async () => {
    const asked = await page().evaluate(() =>
      (globalThis as any).performance
        .getEntriesByType('resource')
        .map((e: any) => e.name as string)
        .find((u: string) => u.includes('/api/v1/ports/pairs')),
    );
    expect(new URL(asked).searchParams.get('stats')).toBe('peer,bitrateKbps,forward');
    const bad = await http().get('/api/v1/ports/pairs?stats=peer,bit-rate');
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: any) => f.field)).toEqual(['stats']);
  });

  it('shows a streaming lease with its stream, peer and bitrate', async () => {
    const id = ids['cam-1'];
    await waitFor(async () => {
      const l = (await http().get(`/api/v1/leases/${id}`)).body;
      return l.state === 'streaming' && l.stats.bitrateKbps > 0;
    }, 'cam-1 streaming with a bitrate');
    const cell = page().locator(`.cell[data-lease="${id}"]`);
    await waitFor(async () => (await cell.getAttribute('data-state')) === 'streaming', 'the cell streaming');
    await waitFor(
      async () => /^[1-9][\d.]* (kb|Mb)\/s$/.test((await cell.locator('.f-bitrateKbps').textContent()) ?? ''),
      'a bitrate in the cell',
    );
    expect(await cell.textContent()).toContain('cam-1');
    expect(await cell.locator('.f-peer').textContent()).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await cell.locator('.f-transport').textContent()).toBe('tcp-passive');
  });

  it('writes a screenshot of the range and a streaming lease for people to look at', async () => {
    await page().locator(`.cell[data-lease="${ids['cam-1']}"]`).click();
    await page().waitForSelector('#lease [data-lease-state]');
    const dir = mkdtempSync(join(tmpdir(), 'portledger-console-'));
    const path = join(dir, 'admin-console.png');
    await page().screenshot({ path, fullPage: true });
    console.log(`admin console screenshot: ${path}`);
    expect(browser.errors).toEqual([]);
    await page().locator('#close-lease').click();
  });

  it('finds pairs by stream id, port and lease id', async () => {
    const search = page().locator('#search');
    const hits = () => page().$$eval('#grid .cell.hit', (els) => els.map((e) => (e as any).dataset.port));
    const lease3 = (await http().get(`/api/v1/leases/${ids['cam-3']}`)).body;
    await search.fill('cam-3');
    expect(await hits()).toEqual([String(lease3.rtpPort)]);
    await search.fill(String(lease3.rtcpPort));
    expect(await hits()).toEqual([String(lease3.rtpPort)]);
    await search.fill(ids['cam-3']);
    expect(await hits()).toEqual([String(lease3.rtpPort)]);
    await search.fill('no-such-stream');
    expect(await hits()).toEqual([]);
    await search.fill('');
  });

  it('opens a lease: its stats and events; Release asks first, then ends it', async () => {
    const id = ids['cam-1'];
    await page().locator(`.cell[data-lease="${id}"]`).click();
    await page().waitForSelector('#lease [data-lease-state]');
    const api1 = (await http().get(`/api/v1/leases/${id}`)).body;
    const field = (k: string) => page().locator(`#lease tr[data-field="${k}"] td`).textContent();
    expect(await field('lease.streamId')).toBe('cam-1');
    expect(await field('lease.transport')).toBe('tcp-passive');
    expect(await field('stats.peer')).toBe(api1.stats.peer);
    expect(api1.stats.codec.video).toBe('h264');
    await waitFor(async () => (await field('stats.codec'))?.includes('video=h264'), 'the codec in the view');
    expect(Number(await field('stats.packets'))).toBeGreaterThan(0);
    for (const k of ['stats.bitrateKbps', 'stats.lost', 'stats.jitterMs', 'stats.connected'])
      expect(await page().locator(`#lease tr[data-field="${k}"]`).count(), k).toBe(1);
    // a stat the field table does not name still shows, under its own name
    expect(await field('stats.keyframes')).toMatch(/^\d+$/);
    const events = await page().$$eval('#lease tr[data-event]', (els) => els.map((e) => (e as any).dataset.event));
    expect(events.slice(0, 2)).toEqual(['allocated', 'listening']);
    expect(events).toContain('first-packet');

    await page().locator('#release').click();
    await page().waitForSelector('#confirm-release');
    // asking is not releasing
    expect((await http().get(`/api/v1/leases/${id}`)).body.state).toBe('streaming');
    await page().locator('#cancel-release').click();
    await page().waitForSelector('#release');
    expect((await http().get(`/api/v1/leases/${id}`)).body.state).toBe('streaming');

    await page().locator('#release').click();
    await page().locator('#confirm-release').click();
    await waitFor(async () => (await http().get(`/api/v1/leases/${id}`)).body.state === 'released', 'the lease released');
    await waitFor(
      async () => (await page().locator('#lease [data-lease-state]').getAttribute('data-lease-state')) === 'released',
      'the view showing it',
    );
    expect(await page().locator('#lease tr[data-event="released"]').count()).toBe(1);
    await page().locator('#close-lease').click();
    await waitFor(async () => (await page().locator(`.cell[data-lease="${id}"]`).count()) === 0, 'its cell no longer leased');
  });

  it('shows free text from the API as text, never as markup', async () => {
    await page().locator(`.cell[data-lease="${ids['cam-2']}"]`).click();
    const client = page().locator('#lease tr[data-field="lease.client"] td');
    await waitFor(async () => (await client.count()) === 1, 'the lease of cam-2');
    expect(await client.textContent()).toBe(MARKUP);
    expect(await page().locator('#lease img').count()).toBe(0);
    expect(await page().title()).toBe('portledger console');
    await page().keyboard.press('Escape');
    await waitFor(async () => page().locator('#lease').isHidden(), 'the lease view closed by Escape');
  });

  it('refreshes the grid and totals by itself after an allocation through the API, without a reload', async () => {
    await page().evaluate(() => ((globalThis as any).__notReloaded = true));
    const before = Number(await page().locator('[data-total="leased"]').textContent());
    const r = await http().post('/api/v1/leases', { streamId: 'cam-live', idleTimeoutSeconds: 600, connectTimeoutSeconds: 600 });
    expect(r.status).toBe(201);
    ids['cam-live'] = r.body.id;
    const cell = page().locator(`.cell[data-lease="${r.body.id}"]`);
    await waitFor(async () => (await cell.count()) === 1, 'the new lease in the grid', 15_000);
    expect(await cell.getAttribute('data-port')).toBe(String(r.body.rtpPort));
    expect(await cell.textContent()).toContain('cam-live');
    await waitFor(async () => Number(await page().locator('[data-total="leased"]').textContent()) === before + 1, 'the leased total');
    expect(await page().evaluate(() => (globalThis as any).__notReloaded)).toBe(true);
  });

  it('lists history with the API filters and cursor paging, each row linking to its lease', async () => {
    // a few ended leases so that there is something to filter
    for (const s of ['cam-5', 'cam-6']) await http().del(`/api/v1/leases/${ids[s]}`);
    await page().goto(`${svc.baseUrl}/admin#/history`);
    const form = page().locator('#history-form');
    const rowIds = () => page().$$eval('#history-list tr[data-lease-row]', (els) => els.map((e) => (e as any).dataset.leaseRow));

    await form.locator('[name=limit]').fill('3');
    await form.locator('button[type=submit]').click();
    const p1 = (await http().get('/api/v1/leases?limit=3')).body;
    await waitFor(async () => JSON.stringify(await rowIds()) === JSON.stringify(p1.items.map((l: any) => l.id)), 'page 1 as the API');
    await page().locator('#history-list [data-page=next]').click();
    const p2 = (await http().get(`/api/v1/leases?limit=3&cursor=${encodeURIComponent(p1.nextCursor)}`)).body;
    await waitFor(async () => JSON.stringify(await rowIds()) === JSON.stringify(p2.items.map((l: any) => l.id)), 'page 2 as the API');
    await page().locator('#history-list [data-page=prev]').click();
    await waitFor(async () => JSON.stringify(await rowIds()) === JSON.stringify(p1.items.map((l: any) => l.id)), 'back on page 1');

    await form.locator('[name=limit]').fill('50');
    await form.locator('[name=state]').selectOption('released');
    await form.locator('button[type=submit]').click();
    const released = (await http().get('/api/v1/leases?state=released&limit=50')).body.items.map((l: any) => l.id);
    expect(released.sort()).toEqual([ids['cam-1'], ids['cam-5'], ids['cam-6']].sort());
    await waitFor(async () => JSON.stringify((await rowIds()).sort()) === JSON.stringify(released.sort()), 'the released leases');

    await form.locator('[name=state]').selectOption('');
    await form.locator('[name=streamId]').fill('cam-3');
    await form.locator('button[type=submit]').click();
    await waitFor(async () => JSON.stringify(await rowIds()) === JSON.stringify([ids['cam-3']]), 'the one lease of cam-3');
    await page().locator(`#history-list tr[data-lease-row="${ids['cam-3']}"] a`).click();
    await waitFor(
      async () => (await page().locator('#lease tr[data-field="lease.streamId"] td').textContent()) === 'cam-3',
      'the lease opened',
    );
    await page().locator('#close-lease').click();
  });

  it('shows quarantine entries with their owner, reconcile reports and summary, and the webhook queue', async () => {
    await page().goto(`${svc.baseUrl}/admin#/quarantine`);
    const row = page().locator(`tr[data-quarantine="${FOREIGN_PORT}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain(String(foreign.pid));
    expect(text).toContain('node');
    expect(text).toMatch(/foreign|occup/);

    await page().goto(`${svc.baseUrl}/admin#/reconcile`);
    const summary = (await http().get('/api/v1/reconcile/summary')).body;
    await page().locator('[data-summary="passes"]').waitFor();
    expect(Number(await page().locator('[data-summary="passes"]').textContent())).toBeGreaterThanOrEqual(Math.min(summary.passes, 3));
    expect(await page().locator('[data-summary-kind="foreign-occupant"]').textContent()).toContain('quarantined=1');
    const withFindings = (await http().get('/api/v1/reconcile/reports?withFindings=true&limit=20')).body.items.map((r: any) => r.id);
    const shown = await page().$$eval('details[data-report]', (els) => els.map((e) => (e as any).dataset.report));
    expect(shown).toEqual(withFindings);
    // a pass run from the page is one more pass in the summary; without the findings filter every report is listed
    const passes = Number(await page().locator('[data-summary="passes"]').textContent());
    await page().locator('#run-pass').click();
    await waitFor(async () => Number(await page().locator('[data-summary="passes"]').textContent()) === passes + 1, 'one more pass');
    await page().locator('#reconcile-form [name=withFindings]').uncheck();
    await page().locator('#reconcile-form button[type=submit]').click();
    const all = (await http().get('/api/v1/reconcile/reports?limit=20')).body.items.map((r: any) => r.id);
    expect(all.length).toBe(passes + 1);
    await waitFor(
      async () =>
        JSON.stringify(await page().$$eval('details[data-report]', (els) => els.map((e) => (e as any).dataset.report))) ===
        JSON.stringify(all),
      'every report listed',
    );

    await page().goto(`${svc.baseUrl}/admin#/webhooks`);
    const queue = (await http().get('/api/v1/webhooks/deliveries?limit=50')).body.items;
    expect(queue.length).toBeGreaterThan(0);
    await page().locator('tr[data-delivery]').first().waitFor();
    const delivered = await page().$$eval('tr[data-delivery]', (els) => els.map((e) => (e as any).dataset.delivery));
    expect(delivered.length).toBeGreaterThan(0);
    for (const id of delivered) expect(queue.map((d: any) => d.id)).toContain(id);
  });
});
