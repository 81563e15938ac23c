import { Injectable } from '@nestjs/common';
import type { ReconcileReportRecord } from '@app/ledger';

/** Counters about what the ledger did; the app's metrics attach a sink. Never per packet. */
export interface LedgerTelemetrySink {
  allocated(): void;
  /** `reason`: the domain error's code (port_range_exhausted, stream_conflict, ledger_unavailable …) or bind_failed */
  allocationFailed(reason: string): void;
  /** a lease reached a terminal state; its final stream statistics, when it had a session */
  ended(state: string, reason: string, finalStats: Record<string, unknown> | null): void;
  reconciled(report: ReconcileReportRecord): void;
}

@Injectable()
export class LedgerTelemetry implements LedgerTelemetrySink {
  private sink: LedgerTelemetrySink | null = null;

  attach(sink: LedgerTelemetrySink): void {
    this.sink = sink;
  }

  allocated(): void {
    this.sink?.allocated();
  }

  allocationFailed(reason: string): void {
    this.sink?.allocationFailed(reason);
  }

  ended(state: string, reason: string, finalStats: Record<string, unknown> | null): void {
    this.sink?.ended(state, reason, finalStats);
  }

  reconciled(report: ReconcileReportRecord): void {
    this.sink?.reconciled(report);
  }
}
