import { DomainError } from '@app/leasing';

export class ReconcileReportNotFoundError extends DomainError {
  readonly code = 'report_not_found';
  readonly kind = 'not-found';
  constructor(id: string) {
    super(`no reconcile report ${id}`);
  }
}
