import { randomBytes } from 'node:crypto';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type TestBrowser } from '../../support/browser';
import { portBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';
import { waitFor } from '../../support/wait-for';

const block = portBlock(53);
const TOKEN = `console-${randomBytes(12).toString('hex')}`;
const PAIRS = 12;

// Two media hosts on one PostgreSQL ledger (one range, each on its own address), both with
// AUTH_TOKENS: the console asks for a token, keeps it for the tab, and switches nodes.
describe('admin console with AUTH_TOKENS, on a two-node fleet on PostgreSQL', () => {
  let db: TestDatabase;
  const svc: ServiceProcess[] = [];
  let browser: TestBrowser;
  let leaseB: { id: string; rtpPort: number };
  const apiCalls: { url: string; status: number | null; authorization: string | undefined }[] = [];
  const page = () => browser.page;
  const dialogOpen = () => page().evaluate(() => (globalThis as any).document.querySelector('#token-dialog').open as boolean);

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    for (const [i, node] of ['media-a', 'media-b'].entries())
      svc.push(
        await startService({
          DATABASE_URL: db.url,
          NODE_ID: node,
          MEDIA_BIND_HOST: `127.0.0.${i + 1}`,
          MEDIA_ADVERTISED_HOST: `127.0.0.${i + 1}`,
          MEDIA_PORT_RANGE: block.range(PAIRS),
          HTTP_PORT: String(block.http(i)),
          AUTH_TOKENS: TOKEN,
          LOG_LEVEL: 'warn',
        }),
      );
    const a = api(svc[0].baseUrl, TOKEN);
    const b = api(svc[1].baseUrl, TOKEN);
    expect((await a.post('/api/v1/leases', { streamId: 'on-a' })).status).toBe(201);
    const r = await b.post('/api/v1/leases', { streamId: 'on-b' });
    expect(r.status).toBe(201);
    leaseB = r.body;
    browser = await openBrowser();
    page().on('requestfinished', (req: Request) => void record(req));
    page().on('requestfailed', (req: Request) => void record(req));
    async function record(req: Request) {
      if (!req.url().includes('/api/v1/')) return;
      const res = await req.response();
      apiCalls.push({ url: req.url(), status: res?.status() ?? null, authorization: (await req.allHeaders()).authorization });
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of svc) await s.stop();
    await db?.drop();
  });

  it('asks for a token before any data; a wrong one is refused and asked again; the right one shows the range', async () => {
    await page().goto(`${svc[0].baseUrl}/admin`);
    await waitFor(dialogOpen, 'the token prompt');
    expect(await page().locator('#grid .cell').count()).toBe(0);
    // every data call so far was refused, none answered
    await waitFor(() => apiCalls.length > 0, 'the first data call recorded');
    expect(apiCalls.every((c) => c.status === 401)).toBe(true);

    await page().locator('#token').fill(`${TOKEN}-wrong`);
    await page().locator('#token-form button[type=submit]').click();
    await waitFor(async () => (await page().locator('#token-why').textContent())?.includes('refused'), 'the prompt again, saying why');
    expect(await dialogOpen()).toBe(true);
    expect(await page().locator('#grid .cell').count()).toBe(0);
    await waitFor(
      () => apiCalls.some((c) => c.authorization === `Bearer ${TOKEN}-wrong` && c.status === 401),
      'the wrong token sent and refused',
    );

    await page().locator('#token').fill(TOKEN);
    await page().locator('#token-form button[type=submit]').click();
    await waitFor(async () => (await page().locator('#grid .cell').count()) === PAIRS, 'the grid');
    expect(await dialogOpen()).toBe(false);
    expect(apiCalls.filter((c) => c.status === 200).every((c) => c.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // kept for the tab only
    const stored = await page().evaluate(() => ({
      session: (globalThis as any).sessionStorage.getItem('portledger.token'),
      local: (globalThis as any).localStorage.length,
    }));
    expect(stored).toEqual({ session: TOKEN, local: 0 });
  });

  it('keeps the token across a reload of the tab, and asks again when it stops being accepted', async () => {
    await page().reload();
    await waitFor(async () => (await page().locator('#grid .cell').count()) === PAIRS, 'the grid after a reload');
    expect(await dialogOpen()).toBe(false);
    // the token no longer works (rotated): the next refresh's 401 brings the prompt back
    await page().evaluate(() => (globalThis as any).sessionStorage.setItem('portledger.token', 'rotated-away-token-0000'));
    await waitFor(dialogOpen, 'the prompt after a 401', 15_000);
    await page().locator('#token').fill(TOKEN);
    await page().locator('#token-form button[type=submit]').click();
    await waitFor(async () => !(await dialogOpen()), 'the prompt closed');
  });

  it('switches the node it looks at: the other node’s leases, from the shared ledger', async () => {
    const select = page().locator('#node');
    await waitFor(async () => (await select.locator('option').count()) === 2, 'both nodes in the switch');
    expect(await select.isDisabled()).toBe(false);
    const onA = await page().$$eval('#grid .cell[data-lease]', (els) => els.map((e: any) => e.textContent as string));
    expect(onA.join(' ')).toContain('on-a');
    expect(onA.join(' ')).not.toContain('on-b');

    await select.selectOption('media-b');
    const cellB = page().locator(`.cell[data-lease="${leaseB.id}"]`);
    await waitFor(async () => (await cellB.count()) === 1, "media-b's lease in the grid");
    expect(await cellB.getAttribute('data-port')).toBe(String(leaseB.rtpPort));
    expect(await page().locator('#grid .cell[data-lease]').count()).toBe(1);
    expect(await page().locator('[data-total="leased"]').textContent()).toBe('1');
    expect(await page().locator('#totals').textContent()).toContain('media-b');
    const grid = (await api(svc[0].baseUrl, TOKEN).get('/api/v1/ports/pairs?nodeId=media-b')).body;
    expect(grid.pairs.filter((p: any) => p.lease).map((p: any) => p.lease.id)).toEqual([leaseB.id]);

    // the lease view reads the other node's lease through this one
    await cellB.click();
    await waitFor(
      async () => (await page().locator('#lease tr[data-field="lease.nodeId"] td').textContent()) === 'media-b',
      'the lease of media-b',
    );
    expect(browser.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
