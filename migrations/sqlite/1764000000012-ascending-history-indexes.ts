import type { MigrationInterface, QueryRunner } from 'typeorm';

const ACTIVE = `(state = 'reserved' OR state = 'listening' OR state = 'streaming')`;

/** The indexes of `leases` ordered by (created_at, id), with their partial predicate where they have one. */
const HISTORY = [
  { name: 'ix_leases_history', prefix: '', where: '' },
  { name: 'ix_leases_node_history', prefix: 'node_id, ', where: '' },
  { name: 'ix_leases_stream_history', prefix: 'stream_id, ', where: '' },
  { name: 'ix_leases_port_history', prefix: 'rtp_port, ', where: '' },
  { name: 'ix_leases_active_history', prefix: '', where: ` WHERE ${ACTIVE}` },
  { name: 'ix_leases_ended_history', prefix: 'state, ', where: ` WHERE NOT ${ACTIVE}` },
];

/**
 * The same indexes in ascending (created_at, id) order. SQLite reads an index backwards as
 * cheaply as forwards, so the newest-first reads (ORDER BY created_at DESC, id DESC) keep their
 * plans; but a new lease's entry now goes at the right end of the index (or of its stream, port
 * or state) instead of the left, where a full page is split by moving half of it (three pages
 * written, pages left half full) rather than by starting a new right page. About 2 of the 33
 * WAL frames of an allocate+release cycle.
 */
export class AscendingHistoryIndexesSqlite1764000000012 implements MigrationInterface {
  name = 'AscendingHistoryIndexesSqlite1764000000012';

  async up(q: QueryRunner): Promise<void> {
    await recreate(q, 'created_at, id');
  }

  async down(q: QueryRunner): Promise<void> {
    await recreate(q, 'created_at DESC, id DESC');
  }
}

async function recreate(q: QueryRunner, order: string): Promise<void> {
  for (const ix of HISTORY) {
    await q.query(`DROP INDEX ${ix.name}`);
    await q.query(`CREATE INDEX ${ix.name} ON leases (${ix.prefix}${order})${ix.where}`);
  }
}
