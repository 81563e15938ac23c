import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which process runs each NODE_ID on this ledger: one row per node, written when a process
 * takes the node at boot, refreshed by its heartbeat, deleted when it stops. A second process
 * with the same NODE_ID reads it to say who holds the node. Times in epoch milliseconds.
 */
export class NodeLocksSqlite1764000000009 implements MigrationInterface {
  name = 'NodeLocksSqlite1764000000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE node_locks (
        node_id varchar(64) PRIMARY KEY NOT NULL,
        holder_host varchar(255) NOT NULL,
        holder_pid integer NOT NULL,
        instance_id varchar(36) NOT NULL,
        acquired_at bigint NOT NULL,
        heartbeat_at bigint NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE node_locks`);
  }
}
