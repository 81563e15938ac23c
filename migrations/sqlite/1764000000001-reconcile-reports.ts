import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per reconcile pass; findings as JSON text; times in epoch milliseconds. */
export class ReconcileReportsSqlite1764000000001 implements MigrationInterface {
  name = 'ReconcileReportsSqlite1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconcile_reports (
        id varchar(36) PRIMARY KEY NOT NULL,
        node_id varchar(64) NOT NULL,
        started_at bigint NOT NULL,
        duration_ms integer NOT NULL,
        checked_ports integer NOT NULL,
        finding_count integer NOT NULL,
        deferred boolean NOT NULL DEFAULT 0,
        os_read_error text,
        findings text NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_reconcile_reports_node ON reconcile_reports (node_id, started_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_reconcile_reports_started ON reconcile_reports (started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reconcile_reports`);
  }
}
