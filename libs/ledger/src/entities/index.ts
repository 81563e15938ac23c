import { LeaseEventEntity } from './lease-event.entity';
import { LeaseEntity } from './lease.entity';
import { QuarantinedPairEntity } from './quarantined-pair.entity';
import { ReconcileReportEntity } from './reconcile-report.entity';

export { LeaseEntity, LeaseEventEntity, QuarantinedPairEntity, ReconcileReportEntity };

/** Listed explicitly: glob discovery breaks under compiled output and hides mistakes. */
export const LEDGER_ENTITIES = [LeaseEntity, LeaseEventEntity, QuarantinedPairEntity, ReconcileReportEntity];
