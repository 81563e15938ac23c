import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-databases';

const TOKEN = 'docs-test-token-0123456789';
const AUTH = { headers: { authorization: `Bearer ${TOKEN}` } };

/** Every route the running service mapped, from Nest's own "Mapped {/path, METHOD} route" log lines. */
function mappedRoutes(output: string): Array<{ path: string; method: string }> {
  const routes = [...output.matchAll(/Mapped \{([^,]+), (\w+)\} route/g)].map((m) => ({ path: m[1], method: m[2].toLowerCase() }));
  return routes.map((r) => ({ ...r, path: r.path.replace(/:(\w+)/g, '{$1}') }));
}

describe('OpenAPI document', () => {
  const block = portBlock(38);
  let db: TestDatabase;
  let svc: ServiceProcess;
  let doc: any;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    svc = await startService({
      DATABASE_URL: db.url,
      MEDIA_PORT_RANGE: block.range(4),
      HTTP_PORT: String(block.http()),
      AUTH_TOKENS: TOKEN,
      ZLM_API_SECRET: 'docs',
      WEBHOOK_URL: `http://127.0.0.1:${block.http(5)}/hook`,
      WEBHOOK_SECRET: 'docs',
    });
    const r = await fetch(`${svc.baseUrl}/docs-json`, AUTH);
    expect(r.status).toBe(200);
    doc = await r.json();
  });
  afterAll(async () => {
    await svc?.kill9();
    await db?.drop();
  });

  it('lists every route the service mapped, with its method', () => {
    const routes = mappedRoutes(svc.output());
    // The service maps the REST API, the ZLMediaKit-compatible API, health, metrics and the webhook listing.
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => !doc.paths[r.path]?.[r.method]).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('describes the error body, and the responses of every operation', () => {
    expect(doc.components.schemas.ErrorBody.properties).toMatchObject({
      statusCode: expect.any(Object),
      error: expect.any(Object),
      message: expect.any(Object),
    });
    const allocate = doc.paths['/api/v1/leases'].post;
    expect(allocate.responses['409'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorBody');
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) expect(Object.keys(op.responses ?? {}), `${method} ${path}`).not.toEqual([]);
    }
  });

  it('declares bearer auth when tokens are configured, on the API and /metrics but not on the ZLMediaKit routes', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/v1/leases'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/metrics'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/index/api/openRtpServer'].post.security).toBeUndefined();
    expect(doc.paths['/health'].get.security).toBeUndefined();
  });

  it('serves the UI at /docs, and the UI and the document only with a token', async () => {
    const r = await fetch(`${svc.baseUrl}/docs`, AUTH);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('swagger');
    for (const page of ['/docs', '/docs-json', '/docs/swagger-ui-init.js'])
      expect((await fetch(`${svc.baseUrl}${page}`)).status, page).toBe(401);
  });
});
