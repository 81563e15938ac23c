import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The webhook outbox: events written with the state change that caused them, delivered afterwards. Times in epoch milliseconds. */
export class WebhookOutboxSqlite1764000000002 implements MigrationInterface {
  name = 'WebhookOutboxSqlite1764000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_outbox (
        id varchar(36) PRIMARY KEY NOT NULL,
        node_id varchar(64) NOT NULL,
        type varchar(32) NOT NULL,
        subject_id varchar(36) NOT NULL,
        payload text NOT NULL,
        status varchar(16) NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at bigint NOT NULL,
        next_attempt_at bigint NOT NULL,
        updated_at bigint NOT NULL
      )`);
    // The delivery worker's question: this node's pending events that are due.
    await q.query(`CREATE INDEX ix_webhook_outbox_due ON webhook_outbox (node_id, status, next_attempt_at)`);
    // The admin listing, newest first, and pruning by age.
    await q.query(`CREATE INDEX ix_webhook_outbox_list ON webhook_outbox (node_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_outbox`);
  }
}
