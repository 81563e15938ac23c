import type { MigrationInterface, QueryRunner } from 'typeorm';

const ACTIVE = `(state = 'reserved' OR state = 'listening' OR state = 'streaming')`;

/**
 * Two indexes of `leases` that repeat another with node_id in front. A SQLite ledger serves one
 * node (a fleet runs on PostgreSQL), so the reads they served are answered as well by the index
 * without the node, whose rows are then that node's rows; and each lease insert or state change
 * wrote a page of them: 4-5 of the 38 WAL frames of an allocate+release cycle.
 * - ix_leases_node_active_history (written by all three transactions of a cycle): the sweeper,
 *   health and /ports read the node's active rows through ux_leases_active_port (node_id,
 *   rtp_port); history ?nodeId&state=active reads ix_leases_active_history in order and filters
 *   the node (LeaseRepository.history writes `+node_id` on SQLite to keep it off
 *   ix_leases_node_history).
 * - ix_leases_node_stream_history: the last lease of a stream (DELETE /leases?streamId=) reads
 *   ix_leases_stream_history and filters the node.
 * ix_leases_node_history stays: history retention and history ?nodeId= alone need it.
 * On a ledger that holds several nodes' rows the filtered reads also step over the other nodes'
 * rows in between, in index order with no sort. PostgreSQL (fleets) keeps all of them.
 */
export class SingleNodeIndexesSqlite1764000000011 implements MigrationInterface {
  name = 'SingleNodeIndexesSqlite1764000000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_leases_node_active_history`);
    await q.query(`DROP INDEX ix_leases_node_stream_history`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_leases_node_stream_history ON leases (node_id, stream_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_leases_node_active_history ON leases (node_id, created_at DESC, id DESC) WHERE ${ACTIVE}`);
  }
}
