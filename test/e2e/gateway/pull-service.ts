import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { PortBlock } from '../../support/port-blocks';
import { api, startService, type ServiceProcess } from '../../support/service-process';
import { tempDir } from '../../support/temp-dir';

/**
 * The built service on SQLite for one describe block of live-pull specs (started before, stopped
 * after), with the helpers they read by. `env` adds to or overrides the defaults.
 */
export function pullService(block: PortBlock, dirPrefix: string, env: (dir: string) => Record<string, string> = () => ({})) {
  const dir = tempDir(dirPrefix);
  let svc: ServiceProcess;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    svc = await startService({
      HTTP_PORT: String(block.http(0)),
      MEDIA_PORT_RANGE: block.range(20),
      DATABASE_URL: `sqlite:${join(dir.path, 'ledger.sqlite')}`,
      LOG_LEVEL: 'warn',
      ...env(dir.path),
    });
    client = api(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.stop();
    dir.cleanup();
  });

  return {
    dir,
    svc: () => svc,
    client: () => client,
    /** a new lease (201) */
    lease: async (streamId: string, extra: Record<string, unknown> = {}) => {
      const r = await client.post('/api/v1/leases', { streamId, ...extra });
      expect(r.status).toBe(201);
      return r.body as { id: string; rtpPort: number; recordPath: string | null; peerAddress: string | null };
    },
    stats: async (id: string) => (await client.get(`/api/v1/leases/${id}`)).body.stats,
    url: (id: string) => `${svc.baseUrl}/api/v1/leases/${id}/stream.ps`,
  };
}
