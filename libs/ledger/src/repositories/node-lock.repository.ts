import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import type { NodeHolder } from '../records/node-holder';

type Row = {
  node_id: string;
  holder_host: string;
  holder_pid: number | string;
  instance_id: string;
  acquired_at: number | string;
  heartbeat_at: number | string;
};

/** The only code that touches the node_locks table (one row per NODE_ID: who runs it). */
@Injectable()
export class NodeLockRepository {
  constructor(private readonly db: LedgerDatabase) {}

  /** Names `holder` as the node's process, replacing whoever the row named. */
  async take(tx: Tx, holder: NodeHolder): Promise<void> {
    await this.db.exec(
      tx,
      `INSERT INTO node_locks (node_id, holder_host, holder_pid, instance_id, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (node_id) DO UPDATE SET holder_host = excluded.holder_host, holder_pid = excluded.holder_pid,
         instance_id = excluded.instance_id, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
      [holder.nodeId, holder.host, holder.pid, holder.instanceId, holder.acquiredAt, holder.heartbeatAt],
    );
  }

  /** Refreshes the heartbeat; false when the row no longer names this instance (taken over). */
  async beat(tx: Tx, nodeId: string, instanceId: string, at: number): Promise<boolean> {
    const r = await this.db.exec(tx, 'UPDATE node_locks SET heartbeat_at = ? WHERE node_id = ? AND instance_id = ?', [
      at,
      nodeId,
      instanceId,
    ]);
    return r.affected > 0;
  }

  /** Deletes the row only while it still names this instance. */
  async remove(tx: Tx, nodeId: string, instanceId: string): Promise<void> {
    await this.db.exec(tx, 'DELETE FROM node_locks WHERE node_id = ? AND instance_id = ?', [nodeId, instanceId]);
  }

  async find(nodeId: string): Promise<NodeHolder | null> {
    const { rows } = await this.db.exec<Row>(null, `${SELECT_HOLDER} WHERE node_id = ?`, [nodeId]);
    return rows[0] ? holderFromRow(rows[0]) : null;
  }

  /** Every node that has a process on this ledger (or had one that did not stop cleanly), by NODE_ID. */
  async all(): Promise<NodeHolder[]> {
    const { rows } = await this.db.exec<Row>(null, `${SELECT_HOLDER} ORDER BY node_id`, []);
    return rows.map(holderFromRow);
  }
}

const SELECT_HOLDER = 'SELECT node_id, holder_host, holder_pid, instance_id, acquired_at, heartbeat_at FROM node_locks';

function holderFromRow(r: Row): NodeHolder {
  return {
    nodeId: r.node_id,
    host: r.holder_host,
    pid: Number(r.holder_pid),
    instanceId: r.instance_id,
    acquiredAt: Number(r.acquired_at),
    heartbeatAt: Number(r.heartbeat_at),
  };
}
