import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The lease ledger on SQLite. Times are epoch milliseconds (INTEGER), compared exactly. */
export class InitialLedgerSqlite1764000000000 implements MigrationInterface {
  name = 'InitialLedgerSqlite1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE leases (
        id varchar(36) PRIMARY KEY NOT NULL,
        node_id varchar(64) NOT NULL,
        stream_id varchar(128) NOT NULL,
        host varchar(255) NOT NULL,
        rtp_port integer NOT NULL,
        rtcp_port integer NOT NULL,
        transport varchar(16) NOT NULL,
        state varchar(16) NOT NULL,
        ssrc varchar(10),
        peer_address varchar(64),
        client varchar(128),
        record boolean NOT NULL DEFAULT 0,
        record_path text,
        ttl_s integer NOT NULL,
        connect_timeout_s integer NOT NULL,
        idle_timeout_s integer NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        released_at bigint,
        release_reason varchar(64),
        final_stats text
      )`);
    // The compare-and-swap of allocation: one active lease per pair and per stream, per node.
    await q.query(`CREATE UNIQUE INDEX ux_leases_active_port ON leases (node_id, rtp_port)
      WHERE state IN ('reserved', 'listening', 'streaming')`);
    await q.query(`CREATE UNIQUE INDEX ux_leases_active_stream ON leases (node_id, stream_id)
      WHERE state IN ('reserved', 'listening', 'streaming')`);
    await q.query(`CREATE INDEX ix_leases_history ON leases (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_leases_node_history ON leases (node_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_leases_stream ON leases (stream_id, created_at DESC)`);
    await q.query(`CREATE INDEX ix_leases_port ON leases (rtp_port, created_at DESC)`);
    await q.query(`
      CREATE TABLE lease_events (
        id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        lease_id varchar(36) NOT NULL REFERENCES leases (id) ON DELETE CASCADE,
        type varchar(32) NOT NULL,
        at bigint NOT NULL,
        detail text
      )`);
    await q.query(`CREATE INDEX ix_lease_events_lease ON lease_events (lease_id, id)`);
    await q.query(`
      CREATE TABLE quarantined_pairs (
        node_id varchar(64) NOT NULL,
        rtp_port integer NOT NULL,
        rtcp_port integer NOT NULL,
        port integer NOT NULL,
        reason text NOT NULL,
        owner_pid integer,
        owner_command text,
        owner_uid integer,
        since bigint NOT NULL,
        PRIMARY KEY (node_id, rtp_port)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE quarantined_pairs`);
    await q.query(`DROP TABLE lease_events`);
    await q.query(`DROP TABLE leases`);
  }
}
