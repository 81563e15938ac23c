import { ExpirySweeper, HistoryRetention, PullLiveStreamUseCase } from '@app/leasing';
import { LeaseEventRepository, LeaseRepository, LedgerDatabase, ReconcileReportRepository, WebhookOutboxRepository } from '@app/ledger';
import express from 'express';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../apps/portledger/src/config/load-settings';
import { LeaseStreamController } from '../../../apps/portledger/src/leases/lease-stream.controller';
import { seedHistory } from '../../support/history-seed';
import { startLedger, type LedgerHarness } from '../../support/ledger-harness';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { createTestDatabase, DB_KINDS } from '../../support/test-databases';

const HISTORY = 200_000;
const NODE = 'test-node';
const TABLES = /\b(leases|lease_events|webhook_outbox|reconcile_reports)\b/i;
/** The indexes that hold every lease ever made, in time order (as opposed to the active-only ones). */
/** The partial indexes that hold only active leases (at most one per pair). */
const ACTIVE_INDEXES = /\b(ux_leases_active_(port|stream)|ix_leases_(node_)?active_history)\b/;
const HISTORY_INDEXES = /\bix_leases_(history|node_history|ended_history|stream_history|node_stream_history|port_history)\b/;

interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * Every statement on a ledger table that `fn` makes the service issue: those of the repositories'
 * raw statements (LedgerDatabase's tracer, `?` placeholders) and those TypeORM builds for the cold reads.
 */
async function issuedBy(db: LedgerDatabase, fn: () => Promise<unknown>): Promise<Statement[]> {
  const ds = db.dataSource as unknown as { logger: object };
  const original = ds.logger;
  const seen: Statement[] = [];
  const pg = db.dialect === 'postgres';
  db.traceStatements((sql, params) => void seen.push({ sql: pg ? numbered(sql) : sql, params: [...params] }));
  ds.logger = new Proxy(original, {
    get: (target, key) =>
      key === 'logQuery' ? (sql: string, params?: unknown[]) => void seen.push({ sql, params: params ?? [] }) : Reflect.get(target, key),
  });
  try {
    await fn();
  } finally {
    ds.logger = original;
    db.traceStatements(null);
  }
  return seen.filter((s) => TABLES.test(s.sql) && /^\s*(WITH|SELECT|UPDATE|DELETE|INSERT)\b/i.test(s.sql));
}

/** `?` → `$n`, as the PostgreSQL connection sends it. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

async function planOf(db: LedgerDatabase, s: Statement): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const rows: Array<{ detail: string }> = await db.dataSource.query(`EXPLAIN QUERY PLAN ${s.sql}`, s.params);
    return rows.map((r) => r.detail);
  }
  const rows: Array<{ 'QUERY PLAN': string }> = await db.dataSource.query(`EXPLAIN ${s.sql}`, s.params);
  return rows.map((r) => r['QUERY PLAN']);
}

/**
 * What makes a plan's cost grow with history: reading a whole table (SQLite `SCAN leases`,
 * PostgreSQL `Seq Scan on leases`), sorting rows instead of reading them in index order
 * (SQLite's temp B-tree; a PostgreSQL Sort estimated at more than 1 % of history), or reading a
 * history index with no LIMIT to stop it (the sweeper's old plan: every lease of the node
 * through ix_leases_node_history).
 */
function growsWithHistory(s: Statement, plan: string[]): string[] {
  const unbounded = !/\bLIMIT\b/i.test(s.sql);
  return plan.filter(
    (line) =>
      /^SCAN (leases|lease_events|webhook_outbox|reconcile_reports|l|e|r|k)$/.test(line.trim()) ||
      /USE TEMP B-TREE/.test(line) ||
      /Seq Scan on (leases|lease_events|webhook_outbox|reconcile_reports)\b/.test(line) ||
      Number(/(^|->\s+)Sort\s+\(cost=\S+ rows=(\d+)/.exec(line.trim())?.[2] ?? 0) > HISTORY / 100 ||
      (unbounded && HISTORY_INDEXES.test(line)),
  );
}

describe.each(DB_KINDS)('query plans with %s and 200,000 ended leases in history', (kind) => {
  const block = portBlock(27);
  let h: LedgerHarness;
  let db: LedgerDatabase;
  let leases: LeaseRepository;
  const range = rangeOf(block.range(20, kind === 'sqlite' ? 0 : 100));

  beforeAll(async () => {
    // Seeding is one bulk statement per table, far past the service's 5 s statement timeout
    // on PostgreSQL; the plans, not the timeout, are under test here.
    const fresh = await createTestDatabase(kind);
    const database = fresh.config.kind === 'postgres' ? { ...fresh.config, statementTimeoutMs: 300_000 } : fresh.config;
    h = await startLedger(kind, { range, historyRetentionDays: 90, database }, fresh);
    db = h.app.get(LedgerDatabase);
    leases = h.app.get(LeaseRepository);
    await seedHistory(db, {
      nodeId: NODE,
      leases: HISTORY,
      rtpStart: range.start,
      pairs: 20,
      now: Date.now(),
      old: 600,
      webhooks: true,
      reports: 10_000,
    });
    await h.pool.load();
  }, 300_000);
  afterAll(async () => {
    await h?.destroy();
  });

  const report: string[] = [];
  afterAll(() => {
    if (process.env.PRINT_PLANS) console.log(report.join('\n'));
  });

  /** Runs `fn`, explains each statement it issued, and requires an index-bounded plan for each. */
  async function expectIndexed(name: string, fn: () => Promise<unknown>, uses?: RegExp): Promise<void> {
    const statements = await issuedBy(db, fn);
    expect(statements.length, `${name}: issued no statement`).toBeGreaterThan(0);
    for (const s of statements) {
      const plan = await planOf(db, s);
      report.push(`[${kind}] ${name}: ${s.sql.replace(/\s+/g, ' ').slice(0, 160)}\n    ${plan.join('\n    ')}`);
      expect.soft(growsWithHistory(s, plan), `${name}: ${s.sql}\n${plan.join('\n')}`).toEqual([]);
    }
    if (uses) {
      const plans = (await Promise.all(statements.map((s) => planOf(db, s)))).flat().join('\n');
      expect.soft(plans, name).toMatch(uses);
    }
  }

  it('allocation, renewal, lookups and release use the primary key or the active-only indexes', async () => {
    const a = (await h.allocate.allocate({ streamId: 'plan-a' })).lease;
    const b = (await h.allocate.allocate({ streamId: 'plan-b' })).lease;
    await expectIndexed('allocate', () => h.allocate.allocate({ streamId: 'plan-c' }));
    await expectIndexed('find active by stream', () => leases.findActiveByStream(NODE, 'plan-a'), ACTIVE_INDEXES);
    await expectIndexed('renew', () => h.renew.renew(a.id, 600));
    await expectIndexed('lease detail with its last events', () => h.queries.get(a.id), /ix_lease_events_lease/);
    await expectIndexed('release', () => h.release.release(a.id));
    await expectIndexed('release by stream', () => h.release.releaseStream('plan-b'));
    // SQLite serves one node and has no node-first copy of the stream index (migration 1764000000011).
    const lastOfStream = kind === 'sqlite' ? /ix_leases_stream_history/ : /ix_leases_node_stream_history/;
    await expectIndexed('release by stream, already ended', () => h.release.releaseStream('plan-b'), lastOfStream);
    expect(b.state).toBe('listening');
  });

  it('the periodic reads (sweeper, reconciler, health, /ports, ZLM API) read only active rows', async () => {
    await h.allocate.allocate({ streamId: 'plan-d' });
    await expectIndexed('expiry sweeper', () => h.app.get(ExpirySweeper).sweep(), ACTIVE_INDEXES);
    await expectIndexed('reconciler active-lease page', () => leases.findActiveSlotsForNode(NODE, 0, 200), ACTIVE_INDEXES);
    await expectIndexed('listRtpServer / resume: active leases of the node', () => leases.findActiveForNode(NODE), ACTIVE_INDEXES);
    await expectIndexed('health: active ids', () => leases.activeIdsForNode(NODE), ACTIVE_INDEXES);
    await expectIndexed('/ports of another node', () => h.queries.portUsage('other-node'), ACTIVE_INDEXES);
  });

  it("boot reads each pair's last release without reading all of history", async () => {
    await expectIndexed('resume at boot: pool load', () => h.pool.load(), /ix_leases_node_port_released/);
  });

  it('lease history pages, with and without filters, read in index order', async () => {
    const first = await h.queries.history({ limit: 50 });
    const page = (f: Record<string, unknown>) => () => h.queries.history({ limit: 50, ...f });
    await expectIndexed('history', page({}), /ix_leases_history/);
    await expectIndexed('history, page 2', page({ cursor: first.nextCursor ?? undefined }), /ix_leases_history/);
    await expectIndexed('history from/to', page({ from: Date.now() - 3600_000, to: Date.now() }));
    await expectIndexed('history state=active', page({ state: 'active' }), ACTIVE_INDEXES);
    await expectIndexed('history state=failed', page({ state: 'failed' }), /ix_leases_ended_history/);
    await expectIndexed('history streamId', page({ streamId: 'hist-7' }), /ix_leases_stream_history/);
    await expectIndexed('history port', page({ port: range.start + 3 }), /ix_leases_port_history/);
    await expectIndexed('history nodeId', page({ nodeId: NODE }), /ix_leases_(node_)?history/);
    await expectIndexed('history nodeId + state=active', page({ nodeId: NODE, state: 'active' }), ACTIVE_INDEXES);
    await expectIndexed('history nodeId + state=failed', page({ nodeId: NODE, state: 'failed' }), /ix_leases_(node_)?ended_history/);
    await expectIndexed('history nodeId + streamId', page({ nodeId: NODE, streamId: 'hist-7' }), /ix_leases_(node_)?stream_history/);
    await expectIndexed('history nodeId + port', page({ nodeId: NODE, port: range.start + 3 }), /ix_leases_port_history/);
  });

  it('GET /leases/:id/stream.ps reads the lease and none of its events', async () => {
    const lease = (await h.allocate.allocate({ streamId: 'plan-ps' })).lease;
    const controller = new LeaseStreamController(h.app.get(PullLiveStreamUseCase), loadSettings({ DATABASE_URL: 'sqlite::memory:' }));
    const app = express().get(
      '/:id/stream.ps',
      (req, res) => void controller.stream(req.params.id, res).catch(() => res.status(500).end()),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const statements = await issuedBy(db, () =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: `/${lease.id}/stream.ps` },
            (res) => {
              resolve(res.statusCode ?? 0);
              req.destroy();
            },
          );
          req.on('error', reject);
          req.end();
        }).then((status) => expect(status).toBe(200)),
      );
      expect(statements.map((s) => s.sql).filter((sql) => /lease_events/.test(sql))).toEqual([]);
      expect(statements.length).toBeGreaterThan(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('events are appended and read by lease through the index', async () => {
    const events = h.app.get(LeaseEventRepository);
    await expectIndexed('events of a lease', () => h.queries.eventsOf('hist-77', { limit: 2 }), /ix_lease_events_lease/);
    const first = await h.queries.eventsOf('hist-77', { limit: 2 });
    await expectIndexed(
      'events of a lease, page 2',
      () => h.queries.eventsOf('hist-77', { limit: 2, cursor: first.nextCursor ?? undefined }),
      /ix_lease_events_lease/,
    );
    await expectIndexed('last events of a lease', () => events.last('hist-77', 20), /ix_lease_events_lease/);
  });

  it('pruning (history retention, reconcile reports, webhook outbox) reads only what it deletes', async () => {
    const pruned = await issuedBy(db, () => Promise.resolve(undefined));
    expect(pruned).toEqual([]);
    await expectIndexed('history retention', async () => expect((await h.app.get(HistoryRetention).pruneOnce(500)).leases).toBe(600));
    const reports = h.app.get(ReconcileReportRepository);
    await expectIndexed('reconcile report prune', () =>
      db.transaction((tx) => reports.prune(tx, NODE, Date.now() - 30 * 24 * 3600_000, 100_000)),
    );
    const outbox = h.app.get(WebhookOutboxRepository);
    const old = Date.now() - 30 * 24 * 3600_000;
    await expectIndexed(
      'webhook prune delivered',
      () => db.transaction((tx) => outbox.prune(tx, NODE, 'delivered', old)),
      /ix_webhook_outbox_settled/,
    );
    await expectIndexed(
      'webhook prune failed',
      () => db.transaction((tx) => outbox.prune(tx, NODE, 'failed', old)),
      /ix_webhook_outbox_settled/,
    );
  });

  it('the webhook worker and the admin listings read through indexes', async () => {
    const outbox = h.app.get(WebhookOutboxRepository);
    await expectIndexed('webhook due', () => outbox.due(NODE, Date.now(), 50), /ix_webhook_outbox_(due_order|settled|status_list)/);
    await expectIndexed('webhook next due', () => outbox.nextDueAt(NODE), /ix_webhook_outbox_(due_order|settled|status_list)/);
    await expectIndexed('webhook pending count', () => outbox.countPending(NODE), /ix_webhook_outbox_(due_order|settled|status_list)/);
    const first = await outbox.page({ nodeId: NODE, limit: 50 });
    await expectIndexed('webhook deliveries', () => outbox.page({ nodeId: NODE, limit: 50 }));
    await expectIndexed('webhook deliveries, page 2', () =>
      outbox.page({ nodeId: NODE, limit: 50, cursor: first.nextCursor ?? undefined }),
    );
    await expectIndexed(
      'webhook deliveries status=failed',
      () => outbox.page({ nodeId: NODE, status: 'failed', limit: 50 }),
      /ix_webhook_outbox_status_list/,
    );
    const reports = h.app.get(ReconcileReportRepository);
    const now = Date.now();
    await expectIndexed('reconcile reports', () => reports.page({ nodeId: NODE, limit: 50 }), /ix_reconcile_reports_(node|started)/);
    await expectIndexed('reconcile reports with findings', () => reports.page({ nodeId: NODE, withFindings: true, limit: 50 }));
    await expectIndexed('reconcile summary', () => reports.totals(NODE, now - 24 * 3600_000, now), /ix_reconcile_reports_(node|started)/);
  });
});
