import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes whose cost does not grow with history, for every read on a hot or periodic path
 * (checked by test/medium/ledger/query-plans.test.ts against 200,000 ended leases):
 * - active leases newest first (history ?state=active, with or without a node) read only
 *   active rows; an ended state reads only that state (partial indexes: the query must carry
 *   the same predicate text, see ACTIVE_SQL);
 * - history by stream (and node: release by stream) or pair reads in (created_at, id) order
 *   with no sort step (ix_leases_stream and ix_leases_port lacked the id tie-break: replaced);
 * - boot's last release of each pair seeks once per pair instead of grouping all events;
 * - the webhook worker reads due events in delivery order, prunes settled ones by age, and the
 *   admin listing by status reads only that status.
 */
export class HistoryIndexesPostgres1764000000003 implements MigrationInterface {
  name = 'HistoryIndexesPostgres1764000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_leases_active_history ON leases (created_at DESC, id DESC)
      WHERE state IN ('reserved', 'listening', 'streaming')`);
    await q.query(`CREATE INDEX ix_leases_node_active_history ON leases (node_id, created_at DESC, id DESC)
      WHERE state IN ('reserved', 'listening', 'streaming')`);
    await q.query(`CREATE INDEX ix_leases_ended_history ON leases (state, created_at DESC, id DESC)
      WHERE NOT (state IN ('reserved', 'listening', 'streaming'))`);
    await q.query(`CREATE INDEX ix_leases_stream_history ON leases (stream_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_leases_node_stream_history ON leases (node_id, stream_id, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX ix_leases_stream`);
    await q.query(`CREATE INDEX ix_leases_port_history ON leases (rtp_port, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX ix_leases_port`);
    await q.query(`CREATE INDEX ix_leases_node_port_released ON leases (node_id, rtp_port, released_at)
      WHERE released_at IS NOT NULL`);
    await q.query(`CREATE INDEX ix_webhook_outbox_due_order ON webhook_outbox (node_id, status, next_attempt_at, created_at, id)`);
    await q.query(`DROP INDEX ix_webhook_outbox_due`);
    await q.query(`CREATE INDEX ix_webhook_outbox_settled ON webhook_outbox (node_id, status, updated_at)`);
    await q.query(`CREATE INDEX ix_webhook_outbox_status_list ON webhook_outbox (node_id, status, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_webhook_outbox_status_list`);
    await q.query(`DROP INDEX ix_webhook_outbox_settled`);
    await q.query(`CREATE INDEX ix_webhook_outbox_due ON webhook_outbox (node_id, status, next_attempt_at)`);
    await q.query(`DROP INDEX ix_webhook_outbox_due_order`);
    await q.query(`DROP INDEX ix_leases_node_port_released`);
    await q.query(`CREATE INDEX ix_leases_port ON leases (rtp_port, created_at DESC)`);
    await q.query(`DROP INDEX ix_leases_port_history`);
    await q.query(`CREATE INDEX ix_leases_stream ON leases (stream_id, created_at DESC)`);
    await q.query(`DROP INDEX ix_leases_node_stream_history`);
    await q.query(`DROP INDEX ix_leases_stream_history`);
    await q.query(`DROP INDEX ix_leases_ended_history`);
    await q.query(`DROP INDEX ix_leases_node_active_history`);
    await q.query(`DROP INDEX ix_leases_active_history`);
  }
}
