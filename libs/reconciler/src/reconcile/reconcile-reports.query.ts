import { Clock, ReconcileReportStore, type Page } from '@app/leasing';
import { Injectable } from '@nestjs/common';
import { ReconcileReportNotFoundError } from '../errors/reconcile-report-not-found.error';
import type { ReconcileReport } from './finding';

export interface ReconcileReportQuery {
  /** only passes that found something */
  withFindings?: boolean;
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

export interface ReconcileSummary {
  from: number;
  to: number;
  passes: number;
  longestPassMs: number;
  /** kind → action → count */
  findings: Record<string, Record<string, number>>;
}

const DAY_MS = 24 * 3600 * 1000;

/** Read side for admins and their cron jobs: this node's past passes and totals over a period. */
@Injectable()
export class ReconcileReports {
  constructor(
    private readonly reports: ReconcileReportStore,
    private readonly clock: Clock,
  ) {}

  list(q: ReconcileReportQuery): Promise<Page<ReconcileReport>> {
    return this.reports.page(q) as Promise<Page<ReconcileReport>>;
  }

  async get(id: string): Promise<ReconcileReport> {
    const r = await this.reports.findById(id);
    if (!r) throw new ReconcileReportNotFoundError(id);
    return r as ReconcileReport;
  }

  /** Over [from, to); by default the last 24 hours up to now. */
  async summary(from?: number, to?: number): Promise<ReconcileSummary> {
    const end = to ?? this.clock.now();
    const start = from ?? end - DAY_MS;
    const totals = await this.reports.totals(start, end);
    return { from: start, to: end, ...totals };
  }
}
