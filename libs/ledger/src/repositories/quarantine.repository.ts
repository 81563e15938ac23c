import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import type { QuarantineEntry } from '../records/quarantine';
import { QuarantinedPairEntity } from '../entities';

@Injectable()
export class QuarantineRepository {
  constructor(private readonly db: LedgerDatabase) {}

  /** Adds or refreshes the entry for a pair; `since` is kept when it was already quarantined. */
  async put(tx: Tx, q: QuarantineEntry): Promise<void> {
    const existing = await tx.findOne(QuarantinedPairEntity, { where: { nodeId: q.nodeId, rtpPort: q.rtpPort } });
    const row = {
      nodeId: q.nodeId,
      rtpPort: q.rtpPort,
      rtcpPort: q.rtcpPort,
      port: q.port,
      reason: q.reason,
      ownerPid: q.owner.pid,
      ownerCommand: q.owner.command,
      ownerUid: q.owner.uid,
      since: existing?.since ?? q.since,
    };
    if (existing) await tx.update(QuarantinedPairEntity, { nodeId: q.nodeId, rtpPort: q.rtpPort }, row);
    else await tx.insert(QuarantinedPairEntity, row);
  }

  async remove(tx: Tx, nodeId: string, rtpPort: number): Promise<boolean> {
    const r = await tx.delete(QuarantinedPairEntity, { nodeId, rtpPort });
    return (r.affected ?? 0) > 0;
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
