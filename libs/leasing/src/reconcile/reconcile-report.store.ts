import {
  LedgerDatabase,
  ReconcileReportRepository,
  type Page,
  type ReconcileReportFilter,
  type ReconcileReportRecord,
  type ReconcileTotals,
} from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { LedgerUnavailableError } from '../errors';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { LedgerTelemetry } from '../telemetry/ledger-telemetry';
import { WebhookOutbox } from '../webhooks/webhook-outbox';

/** This node's reconcile reports: the reconciler stores each pass here and reads them back. */
@Injectable()
export class ReconcileReportStore {
  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly db: LedgerDatabase,
    private readonly reports: ReconcileReportRepository,
    private readonly webhooks: WebhookOutbox,
    private readonly telemetry: LedgerTelemetry,
  ) {}

  /** The report, its `reconcile.findings` webhook and the pruning of old reports, in one transaction. */
  async save(report: ReconcileReportRecord, prune: { olderThan: number; keep: number }): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await this.reports.insert(tx, report);
        await this.webhooks.reconcileReport(tx, report);
        await this.reports.prune(tx, report.nodeId, prune.olderThan, prune.keep);
      });
    } catch (err) {
      throw new LedgerUnavailableError(err);
    }
    this.telemetry.reconciled(report);
  }

  page(q: Omit<ReconcileReportFilter, 'nodeId'>): Promise<Page<ReconcileReportRecord>> {
    return this.reports.page({ nodeId: this.options.nodeId, ...q });
  }

  findById(id: string): Promise<ReconcileReportRecord | null> {
    return this.reports.findById(id);
  }

  totals(from: number, to: number): Promise<ReconcileTotals> {
    return this.reports.totals(this.options.nodeId, from, to);
  }
}
