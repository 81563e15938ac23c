import { createLedgerDataSource } from '@app/ledger';
import { POSTGRES_MIGRATIONS } from '@migrations/postgres';
import { SQLITE_MIGRATIONS } from '@migrations/sqlite';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { createTestDatabase, DB_KINDS, PG_BASE_URL, type DbKind, type TestDatabase } from '../../support/test-databases';

/** Runs `sql` on the ledger from a connection of its own, as another process (a newer node, an operator) would. */
async function fromElsewhere(db: TestDatabase, sql: string[]): Promise<void> {
  if (db.config.kind === 'sqlite') {
    const other = new Database(db.config.path, { timeout: 5000 });
    try {
      for (const s of sql) other.exec(s);
    } finally {
      other.close();
    }
    return;
  }
  const other = new Client({ connectionString: PG_BASE_URL });
  await other.connect();
  try {
    await other.query(`SET search_path = ${new URL(db.url).searchParams.get('schema')}`);
    for (const s of sql) await other.query(s);
  } finally {
    await other.end();
  }
}

/**
 * The hot statements are prepared once and kept (better-sqlite3 statements; PostgreSQL named
 * statements, per connection): they must follow the schema wherever it changes under them.
 */
describe.each(DB_KINDS)('prepared ledger statements and schema changes on %s', (kind: DbKind) => {
  // Blocks 31/32 are history-retention's, which uses ports 200-279: this file takes 0-39.
  const range = rangeOf(portBlock(kind === 'sqlite' ? 31 : 32).range(20, 0));
  let h: LedgerHarness | undefined;
  afterEach(async () => {
    await h?.destroy();
    h = undefined;
  });

  const cycle = async (h: LedgerHarness, streamId: string) => {
    const { lease } = await h.allocate.allocate({ streamId });
    const ended = await h.release.release(lease.id);
    const { items } = await h.queries.eventsOf(lease.id, { limit: 10 });
    return { lease, ended, events: items.map((e) => e.type) };
  };

  it('statements prepared before another process changed the schema keep working (SQLite re-prepares them, PostgreSQL re-plans)', async () => {
    h = await startLedger(kind, { range });
    const before = await cycle(h, 'before-change');
    expect(before.events).toEqual(['allocated', 'listening', 'released']);

    // What a later migration run by a newer node of the fleet could do meanwhile.
    await fromElsewhere(h.db, [
      'ALTER TABLE leases ADD COLUMN spec_note text',
      'ALTER TABLE lease_events ADD COLUMN spec_note text',
      'CREATE INDEX ix_spec_events_type ON lease_events (type)',
    ]);

    const after = await cycle(h, 'after-change');
    expect(after.lease).toMatchObject({ state: 'listening', streamId: 'after-change' });
    expect(after.ended).toMatchObject({ state: 'released', releaseReason: 'client' });
    expect(after.events).toEqual(['allocated', 'listening', 'released']);
    expect((await h.queries.get(before.lease.id)).lease).toMatchObject({ state: 'released' });
  });

  it('a ledger written by an older version: the remaining migrations run at open, and the statements see the migrated schema', async () => {
    const db = await createTestDatabase(kind);
    // The first four migrations only: no tcp-active peer port, no forwarding columns yet.
    const migrations = (kind === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS).slice(0, 4);
    const old = new DataSource({ ...createLedgerDataSource(db.config).options, migrations });
    await old.initialize();
    await old.runMigrations();
    const t = Date.now() - 60_000; // recent: history retention keeps it
    await old.query(
      `INSERT INTO leases (id, node_id, stream_id, host, rtp_port, rtcp_port, transport, state, client, record, ttl_s, connect_timeout_s,
         idle_timeout_s, created_at, updated_at, expires_at, released_at, release_reason)
       VALUES ('00000000-0000-4000-8000-000000000001', 'test-node', 'old-stream', '127.0.0.1', ${range.start}, ${range.start + 1},
         'tcp-passive', 'released', 'old', false, 3600, 30, 20, ${t}, ${t + 1000}, ${t + 3600_000}, ${t + 1000}, 'client')`,
    );
    await old.destroy();

    h = await startLedger(kind, { range }, db);
    const now = await cycle(h, 'after-upgrade');
    expect(now.lease).toMatchObject({ state: 'listening', forward: null, peerPort: null });
    expect(now.events).toEqual(['allocated', 'listening', 'released']);
    expect((await h.queries.get('00000000-0000-4000-8000-000000000001')).lease).toMatchObject({
      streamId: 'old-stream',
      state: 'released',
      forward: null,
      forwardSsrc: null,
      peerPort: null,
    });
  });
});
