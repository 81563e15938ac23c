import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { tempDir } from './temp-dir';

export type DbKind = 'sqlite' | 'postgres';

/** Every ledger spec runs on both databases (issue: the same specs, parametrised). */
export const DB_KINDS: DbKind[] = ['sqlite', 'postgres'];

export const PG_BASE_URL = process.env.PORTLEDGER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  kind: DbKind;
  /** DATABASE_URL for a spawned service */
  url: string;
  /** LeasingOptions.database for in-process tests */
  config: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  drop(): Promise<void>;
}

/**
 * A private database for one test file: a SQLite file in a temp dir, or a PostgreSQL schema
 * of its own, dropped afterwards. An unreachable PostgreSQL fails the test (never skips).
 */
export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = tempDir('portledger-db-');
    const path = join(dir.path, 'ledger.sqlite');
    return { kind, url: `sqlite:${path}`, config: { kind, path }, drop: () => Promise.resolve(dir.cleanup()) };
  }
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = `${PG_BASE_URL}?schema=${schema}`;
  return {
    kind,
    url,
    config: { kind, url },
    drop: async () => {
      const c = new Client({ connectionString: PG_BASE_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
