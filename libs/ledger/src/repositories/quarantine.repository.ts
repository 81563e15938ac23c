import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import type { QuarantineEntry } from '../records/quarantine';
import { QuarantinedPairEntity } from '../entities';

@Injectable()
export class QuarantineRepository {
  constructor(private readonly db: LedgerDatabase) {}

  /** Adds or refreshes the entry for a pair; `since` is kept when it was already quarantined. */
  async put(tx: Tx, q: QuarantineEntry): Promise<void> {
    await this.db.exec(
      tx,
      `INSERT INTO quarantined_pairs (node_id, rtp_port, rtcp_port, port, reason, owner_pid, owner_command, owner_uid, since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (node_id, rtp_port) DO UPDATE SET rtcp_port = excluded.rtcp_port, port = excluded.port, reason = excluded.reason,
         owner_pid = excluded.owner_pid, owner_command = excluded.owner_command, owner_uid = excluded.owner_uid`,
      [q.nodeId, q.rtpPort, q.rtcpPort, q.port, q.reason, q.owner.pid, q.owner.command, q.owner.uid, q.since],
    );
  }

  async remove(tx: Tx, nodeId: string, rtpPort: number): Promise<boolean> {
    const r = await this.db.exec(tx, 'DELETE FROM quarantined_pairs WHERE node_id = ? AND rtp_port = ?', [nodeId, rtpPort]);
    return r.affected > 0;
  }

  async forNode(nodeId: string): Promise<QuarantineEntry[]> {
    const rows = await this.db.manager.find(QuarantinedPairEntity, { where: { nodeId }, order: { rtpPort: 'ASC' } });
    return rows.map((r) => ({
      nodeId: r.nodeId,
      rtpPort: r.rtpPort,
      rtcpPort: r.rtcpPort,
      port: r.port,
      reason: r.reason,
      owner: { pid: r.ownerPid, command: r.ownerCommand, uid: r.ownerUid },
      since: r.since,
    }));
  }
}
