import { Injectable } from '@nestjs/common';
import { LedgerDatabase, type Tx } from '../database/ledger-database';
import { ReconcileReportEntity } from '../entities';
import { keysetPage } from './history-cursor';
import type { Page } from './lease.repository';

/** One finding of a reconcile pass, in the contract's shape. */
export interface ReconcileFindingRecord {
  kind: string;
  port: number | null;
  leaseId: string | null;
  action: string;
  detail: Record<string, unknown> | null;
}

/** One reconcile pass as stored; times in epoch milliseconds. */
export interface ReconcileReportRecord {
  id: string;
  nodeId: string;
  startedAt: number;
  durationMs: number;
  checkedPorts: number;
  /** true when the OS view could not be trusted and every reclaim of the pass was put off */
  deferred: boolean;
  osReadError: string | null;
  findings: ReconcileFindingRecord[];
}

export interface ReconcileReportFilter {
  nodeId: string;
  withFindings?: boolean;
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

export interface ReconcileTotals {
  passes: number;
  longestPassMs: number;
  /** kind → action → count */
  findings: Record<string, Record<string, number>>;
}

/** The only code that touches the reconcile_reports table. */
@Injectable()
export class ReconcileReportRepository {
  constructor(private readonly db: LedgerDatabase) {}

  async insert(tx: Tx, r: ReconcileReportRecord): Promise<void> {
    await this.db.exec(
      tx,
      `INSERT INTO reconcile_reports (id, node_id, started_at, duration_ms, checked_ports, finding_count, deferred, os_read_error, findings)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.nodeId, r.startedAt, r.durationMs, r.checkedPorts, r.findings.length, r.deferred, r.osReadError, JSON.stringify(r.findings)],
    );
  }

  async findById(id: string): Promise<ReconcileReportRecord | null> {
    const e = await this.db.manager.findOne(ReconcileReportEntity, { where: { id } });
    return e ? toRecord(e) : null;
  }

  /** Newest first, keyset-paginated over (startedAt DESC, id DESC) like lease history. */
  async page(f: ReconcileReportFilter): Promise<Page<ReconcileReportRecord>> {
    const q = this.db.manager.createQueryBuilder(ReconcileReportEntity, 'r').where('r.node_id = :nodeId', { nodeId: f.nodeId });
    if (f.withFindings) q.andWhere('r.finding_count > 0');
    if (f.from !== undefined) q.andWhere('r.started_at >= :from', { from: f.from });
    if (f.to !== undefined) q.andWhere('r.started_at < :to', { to: f.to });
    return keysetPage(q, { time: 'r.started_at', id: 'r.id' }, f.limit, f.cursor, toRecord, (r) => ({ createdAt: r.startedAt, id: r.id }));
  }

  /** Passes, the longest pass and findings by kind and action over [from, to). */
  async totals(nodeId: string, from: number, to: number): Promise<ReconcileTotals> {
    const range = () =>
      this.db.manager
        .createQueryBuilder(ReconcileReportEntity, 'r')
        .where('r.node_id = :nodeId AND r.started_at >= :from AND r.started_at < :to', { nodeId, from, to });
    const agg: { passes: number | string; longest: number | string | null } | undefined = await range()
      .select('COUNT(*)', 'passes')
      .addSelect('MAX(r.duration_ms)', 'longest')
      .getRawOne();
    const rows: Array<{ findings: string }> = await range().select('r.findings', 'findings').andWhere('r.finding_count > 0').getRawMany();
    const findings: Record<string, Record<string, number>> = {};
    for (const row of rows) {
      for (const f of JSON.parse(row.findings) as ReconcileFindingRecord[]) {
        const byAction = (findings[f.kind] ??= {});
        byAction[f.action] = (byAction[f.action] ?? 0) + 1;
      }
    }
    return { passes: Number(agg?.passes ?? 0), longestPassMs: Number(agg?.longest ?? 0), findings };
  }

  /** Deletes this node's reports older than `olderThan` and all but the newest `keep`; returns how many went. */
  async prune(tx: Tx, nodeId: string, olderThan: number, keep: number): Promise<number> {
    const byAge = await this.db.exec(tx, 'DELETE FROM reconcile_reports WHERE node_id = ? AND started_at < ?', [nodeId, olderThan]);
    // The (keep+1)-th newest and everything older; NULL (fewer rows) deletes nothing.
    const byCount = await this.db.exec(
      tx,
      `DELETE FROM reconcile_reports WHERE node_id = ? AND started_at <= (
         SELECT k.started_at FROM reconcile_reports k WHERE k.node_id = ? ORDER BY k.started_at DESC LIMIT 1 OFFSET ?)`,
      [nodeId, nodeId, keep],
    );
    return byAge.affected + byCount.affected;
  }
}

function toRecord(e: ReconcileReportEntity): ReconcileReportRecord {
  return {
    id: e.id,
    nodeId: e.nodeId,
    startedAt: e.startedAt,
    durationMs: e.durationMs,
    checkedPorts: e.checkedPorts,
    deferred: Boolean(e.deferred),
    osReadError: e.osReadError,
    findings: (e.findings ?? []) as ReconcileFindingRecord[],
  };
}
