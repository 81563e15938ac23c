import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transports (CONTRACT "Transports"): a tcp-active lease dials the device at peer_address:peer_port,
 * so the port is kept with the lease and a resumed lease dials again after a restart. The
 * `transport` column exists since the first migration (every row so far is 'tcp-passive').
 */
export class TcpActivePeerPortPostgres1764000000004 implements MigrationInterface {
  name = 'TcpActivePeerPortPostgres1764000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE leases ADD COLUMN peer_port integer NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE leases DROP COLUMN peer_port`);
  }
}
