import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { test } from 'vitest';
import { openBrowser } from '../support/browser';
import { portBlock } from '../support/port-blocks';
import { api, startService } from '../support/service-process';
import { createTestDatabase } from '../support/test-databases';
import { percentile, writeBenchResult } from './support/report';

// The admin console against a service with a 1,000-pair range (MEDIA_PORT_RANGE 7200-9199) and
// LEASES active leases. Allocation hands out never-used pairs in port order, so the leases
// bind 7200-7499 only, inside this file's block 52 (the rest of the range is never bound), on
// 127.0.0.52 so they meet no other test's sockets. HTTP on block 53's port.
const block = portBlock(52);
const PAIRS = 1000;
const LEASES = 150;
const RUNS = 12;
const BIND = '127.0.0.52';

test('admin console: page weight, first render of 1,000 pairs in headless Chromium, the grid endpoint', async () => {
  const db = await createTestDatabase('sqlite');
  const svc = await startService({
    DATABASE_URL: db.url,
    MEDIA_PORT_RANGE: `${block.start}-${block.start + PAIRS * 2 - 1}`,
    MEDIA_BIND_HOST: BIND,
    MEDIA_ADVERTISED_HOST: BIND,
    HTTP_PORT: String(portBlock(53).http(9)),
    RECONCILE_INTERVAL_S: '3600',
    LOG_LEVEL: 'warn',
  });
  const browser = await openBrowser({ width: 1400, height: 900 });
  try {
    const http = api(svc.baseUrl);
    for (let i = 0; i < LEASES; i++) {
      const r = await http.post('/api/v1/leases', { streamId: `bench-${i}`, client: 'admin-bench', connectTimeoutSeconds: 3600 });
      if (r.status !== 201 || r.body.rtpPort >= block.end) throw new Error(`allocation ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const metrics: Record<string, number> = {};

    // 1) What a browser downloads for the page: the shell, the script, the stylesheet (no compression is served).
    let bytes = 0;
    let gzipped = 0;
    for (const path of ['/admin', '/admin/console.js', '/admin/console.css']) {
      const body = Buffer.from(await (await fetch(`${svc.baseUrl}${path}`)).arrayBuffer());
      bytes += body.length;
      gzipped += gzipSync(body).length;
    }
    metrics.admin_page_weight_kb = bytes / 1024;
    metrics.admin_page_weight_gzip_kb = gzipped / 1024;

    // 2) The grid's one request: GET /ports/pairs (1,000 pairs) against GET /ports (the counts only), same service, same run.
    const timed = async (path: string, n: number) => {
      const ms: number[] = [];
      let size = 0;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const r = await fetch(`${svc.baseUrl}${path}`);
        size = (await r.arrayBuffer()).byteLength;
        ms.push(performance.now() - t0);
      }
      return { p50: percentile(ms.slice(5), 50), size };
    };
    // the request the console makes (its cells' stats)
    const pairs = await timed('/api/v1/ports/pairs?stats=peer,bitrateKbps,forward', 45);
    const usage = await timed('/api/v1/ports', 45);
    metrics.pairs_api_p50_ms_1000_pairs = pairs.p50;
    metrics.pairs_api_response_kb = pairs.size / 1024;
    metrics.ports_api_p50_ms_baseline = usage.p50;
    metrics.pairs_api_ratio_to_ports = pairs.p50 / usage.p50;

    // 3) First render: a new page navigates to /admin; the page marks the moment the grid is in the
    // DOM and the next animation frame (painted). Times since navigation start. Baseline: the same
    // browser loading /health (a small JSON document) to its load event.
    const page = browser.page;
    const painted: number[] = [];
    const drawn: number[] = [];
    const blank: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto('about:blank');
      await page.goto(`${svc.baseUrl}/admin`);
      await page.waitForFunction(() => (globalThis as any).performance.getEntriesByName('portledger:grid-painted').length > 0, undefined, {
        timeout: 30_000,
      });
      const m = await page.evaluate(() => {
        const perf = (globalThis as any).performance;
        return {
          drawn: perf.getEntriesByName('portledger:grid-drawn')[0].startTime as number,
          painted: perf.getEntriesByName('portledger:grid-painted')[0].startTime as number,
          cells: (globalThis as any).document.querySelectorAll('#grid .cell').length as number,
        };
      });
      if (m.cells !== PAIRS) throw new Error(`grid has ${m.cells} cells`);
      drawn.push(m.drawn);
      painted.push(m.painted);
      await page.goto(`${svc.baseUrl}/health`);
      blank.push(await page.evaluate(() => (globalThis as any).performance.getEntriesByType('navigation')[0].loadEventEnd as number));
    }
    metrics.admin_first_render_ms_1000_pairs = percentile(painted.slice(1), 50);
    metrics.admin_first_render_p90_ms_1000_pairs = percentile(painted.slice(1), 90);
    metrics.admin_first_render_cold_ms_1000_pairs = painted[0];
    metrics.admin_grid_in_dom_ms_1000_pairs = percentile(drawn.slice(1), 50);
    metrics.health_page_load_ms_baseline = percentile(blank.slice(1), 50);
    metrics.admin_first_render_ratio_to_health_load = metrics.admin_first_render_ms_1000_pairs / metrics.health_page_load_ms_baseline;
    metrics.leases = LEASES;
    metrics.pairs = PAIRS;
    writeBenchResult('admin', metrics);
  } finally {
    await browser.close();
    await svc.stop();
    await db.drop();
  }
});
