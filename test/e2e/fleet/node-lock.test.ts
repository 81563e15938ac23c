import Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { api, runUntilExit, startService, type ServiceProcess } from '../../support/service-process';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/test-databases';

/** One statement on the ledger, straight to the database (`$1` placeholders; SQLite's `?` is written for it). */
async function onLedger(db: TestDatabase, sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  if (db.config.kind === 'sqlite') {
    const lite = new Database(db.config.path, { timeout: 5000 });
    try {
      const stmt = lite.prepare(sql.replace(/\$\d+/g, '?').replace(/\{schema\}\./g, ''));
      return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
    } finally {
      lite.close();
    }
  }
  const url = new URL(db.url);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const pg = new Client({ connectionString: url.toString() });
  await pg.connect();
  try {
    return (await pg.query(sql.replace(/\{schema\}/g, String(schema)), params)).rows;
  } finally {
    await pg.end();
  }
}

/** The `node_locks` row of a NODE_ID, read straight from the ledger. */
async function holderRow(db: TestDatabase, nodeId: string) {
  return (await onLedger(db, 'SELECT holder_host, holder_pid FROM {schema}.node_locks WHERE node_id = $1', [nodeId]))[0] ?? null;
}

describe.each(DB_KINDS)('one process per NODE_ID on a %s ledger', (kind) => {
  const block = portBlock(29);
  // each database kind takes half the block: HTTP ports and media ranges of its own
  const base = kind === 'sqlite' ? 0 : 5;
  const offset = kind === 'sqlite' ? 0 : 150;
  let db: TestDatabase;
  let holder: ServiceProcess | undefined;
  const env = (nodeId: string, httpIndex: number, rangeOffset: number) => ({
    DATABASE_URL: db.url,
    NODE_ID: nodeId,
    HTTP_PORT: String(block.http(base + httpIndex)),
    MEDIA_PORT_RANGE: block.range(10, offset + rangeOffset),
  });
  const nodeEnv = (httpIndex: number) => env(`lock-${kind}`, httpIndex, 0);

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await holder?.kill9();
    await db?.drop();
  });

  it("refuses a second process with the same NODE_ID: exit 2, naming the NODE_ID and the holder's host and pid", async () => {
    holder = await startService(nodeEnv(0));
    const lease = (await api(holder.baseUrl).post('/api/v1/leases', { streamId: 'held-cam' })).body;
    expect(lease.state).toBe('listening');

    const second = await runUntilExit({ ...nodeEnv(1), MEDIA_PORT_RANGE: block.range(10, offset + 100) });
    expect(second.code).toBe(2);
    expect(second.output).toContain(`NODE_ID "lock-${kind}" is held by ${hostname()} (pid ${holder.child.pid})`);

    // The holder is untouched: its lease still listens and the API answers.
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    expect((await api(holder.baseUrl).get(`/api/v1/leases/${lease.id}`)).body.state).toBe('listening');
    expect(await holderRow(db, `lock-${kind}`)).toMatchObject({ holder_host: hostname(), holder_pid: holder.child.pid });
  });

  it('lets another NODE_ID start beside it on the same ledger', async () => {
    const other = await startService(env(`lock-${kind}-other`, 2, 40));
    try {
      expect((await api(other.baseUrl).post('/api/v1/leases', { streamId: 'other-cam' })).status).toBe(201);
      expect((await api(holder!.baseUrl).get('/api/v1/ports')).status).toBe(200);
    } finally {
      expect(await other.stop()).toBe(0);
    }
  });

  it('lets a successor start after kill -9 without waiting out a stale window, and resume the leases', async () => {
    const before = (await api(holder!.baseUrl).get(`/api/v1/leases?state=active&nodeId=lock-${kind}`)).body.items;
    expect(before.map((l: { streamId: string }) => l.streamId)).toEqual(['held-cam']);
    await holder!.kill9();
    holder = await startService(nodeEnv(3));
    const after = (await api(holder.baseUrl).get(`/api/v1/leases/${before[0].id}`)).body;
    expect(after.state).toBe('listening');
    expect(listeningPorts(after.rtpPort, after.rtcpPort)).toEqual([after.rtpPort, after.rtcpPort]);
    expect(await holderRow(db, `lock-${kind}`)).toMatchObject({ holder_pid: holder.child.pid });
  });

  it('releases the node at once on a graceful stop', async () => {
    expect(await holder!.stop()).toBe(0);
    expect(await holderRow(db, `lock-${kind}`)).toBeNull();
    holder = await startService(nodeEnv(4));
    expect(await holderRow(db, `lock-${kind}`)).toMatchObject({ holder_pid: holder.child.pid });
  });

  it('stops through the shutdown path (exit 3, sockets closed) when its heartbeat finds the node taken over', async () => {
    const lease = (await api(holder!.baseUrl).post('/api/v1/leases', { streamId: 'taken-over-cam' })).body;
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    // What a successor does once this process looks dead to it (cut off from the ledger for long).
    await onLedger(db, "UPDATE {schema}.node_locks SET holder_host = 'successor-host', instance_id = 'successor' WHERE node_id = $1", [
      `lock-${kind}`,
    ]);
    const exited = await Promise.race([holder!.exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    expect(exited).toEqual({ code: 3, signal: null });
    // (the JSON log escapes the quotes around the NODE_ID)
    expect(holder!.output()).toMatch(
      new RegExp(
        `NODE_ID \\\\?"lock-${kind}\\\\?" lost: its node_locks row was taken over: NODE_ID \\\\?"lock-${kind}\\\\?" is held by successor-host`,
      ),
    );
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([]);
    holder = undefined;
  });
});
