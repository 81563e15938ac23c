import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A lease's forward to a media server (issue 16): the target URL and the SSRC written into
 * forwarded packets, kept with the lease so a lease resumed after a restart still forwards.
 * Both nullable: older leases and leases that do not forward leave them empty.
 */
export class LeaseForwardPostgres1764000000005 implements MigrationInterface {
  name = 'LeaseForwardPostgres1764000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE leases ADD COLUMN forward varchar(300) NULL`);
    await q.query(`ALTER TABLE leases ADD COLUMN forward_ssrc varchar(10) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE leases DROP COLUMN forward_ssrc`);
    await q.query(`ALTER TABLE leases DROP COLUMN forward`);
  }
}
