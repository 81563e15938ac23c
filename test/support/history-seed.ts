import type { LedgerDatabase } from '@app/ledger';

const DAY = 24 * 3600 * 1000;

export interface HistorySeed {
  nodeId: string;
  /** ended leases to write (each with allocated/listening/released events) */
  leases: number;
  /** the node's first RTP port and how many pairs the history spreads over */
  rtpStart: number;
  pairs: number;
  now: number;
  /** of those, how many were created and ended `oldDays` ago (history retention's work) */
  old?: number;
  oldDays?: number;
  /** delivered (and some failed) webhook rows, one per lease when true */
  webhooks?: boolean;
  /** reconcile reports to write */
  reports?: number;
}

/**
 * Months of history in one statement per table (a recursive CTE on SQLite, generate_series on
 * PostgreSQL), inside one transaction: 200,000 leases take seconds, not minutes. The rows look
 * like what the service writes: ended leases spread over the node's pairs and 5,000 streams,
 * one in fifty failed, newest created `now`.
 */
export async function seedHistory(db: LedgerDatabase, s: HistorySeed): Promise<void> {
  const pg = db.dialect === 'postgres';
  const withRows = (n: number) => (pg ? '' : `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) `);
  const fromRows = (n: number) => (pg ? `FROM generate_series(1, ${n}) AS s(i)` : 'FROM s');
  const old = s.old ?? 0;
  const oldAt = s.now - (s.oldDays ?? 100) * DAY;
  // i-th lease: created one second apart ending at `now`, the first `old` ones long ago.
  const createdAt = `(CASE WHEN i <= ${old} THEN ${oldAt} + i * 1000 ELSE ${s.now} - (${s.leases} - i) * 1000 - 60000 END)`;
  const port = `(${s.rtpStart} + 2 * (i % ${s.pairs}))`;
  const n = s.leases;
  await db.transaction(async (tx) => {
    const run = (sql: string) => db.exec(tx, sql);
    await run(
      `${withRows(n)}INSERT INTO leases (id, node_id, stream_id, host, rtp_port, rtcp_port, transport, state, ssrc, peer_address, client, record,
         record_path, ttl_s, connect_timeout_s, idle_timeout_s, created_at, updated_at, expires_at, released_at, release_reason, final_stats)
       SELECT 'hist-' || i, '${s.nodeId}', 'hist-' || (i % 5000), '127.0.0.1', ${port}, ${port} + 1, 'tcp-passive',
         CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'released' END, NULL, NULL, 'seed', false, NULL, 3600, 30, 30,
         ${createdAt}, ${createdAt} + 30000, ${createdAt} + 3600000, ${createdAt} + 30000,
         CASE WHEN i % 50 = 0 THEN 'bind-failed' ELSE 'api' END, NULL
       ${fromRows(n)}`,
    );
    await run(
      `INSERT INTO lease_events (lease_id, type, at, detail)
       SELECT l.id, t.type, l.created_at + t.offs, NULL FROM leases l
       CROSS JOIN (SELECT 'allocated' AS type, 0 AS offs UNION ALL SELECT 'listening', 1 UNION ALL SELECT 'released', 30000) t
       WHERE l.node_id = '${s.nodeId}' AND l.id LIKE 'hist-%' ORDER BY l.created_at, t.offs`,
    );
    if (s.webhooks) {
      await run(
        `INSERT INTO webhook_outbox (id, node_id, type, subject_id, payload, status, attempts, last_error, created_at, next_attempt_at, updated_at)
         SELECT 'wh-' || l.id, l.node_id, 'lease.ended', l.id, '{}', CASE WHEN l.state = 'failed' THEN 'failed' ELSE 'delivered' END, 1, NULL,
           l.released_at, l.released_at + 5, l.released_at + 5
         FROM leases l WHERE l.node_id = '${s.nodeId}' AND l.id LIKE 'hist-%'`,
      );
    }
    if (s.reports) {
      await run(
        `${withRows(s.reports)}INSERT INTO reconcile_reports (id, node_id, started_at, duration_ms, checked_ports, finding_count, deferred, os_read_error, findings)
         SELECT 'rep-' || i, '${s.nodeId}', ${s.now} - (${s.reports} - i) * 60000, 3, ${s.pairs * 2}, CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END, false, NULL,
           CASE WHEN i % 20 = 0 THEN '[{"kind":"foreign-listener","port":${s.rtpStart},"leaseId":null,"action":"reported","detail":null}]' ELSE '[]' END
         ${fromRows(s.reports)}`,
      );
    }
  });
  // PostgreSQL plans from statistics: give it real ones, as autovacuum would in production.
  if (pg) await db.exec(null, 'ANALYZE leases, lease_events, webhook_outbox, reconcile_reports');
}
