import { LeaseEventEntity } from './lease-event.entity';
import { LeaseEntity } from './lease.entity';
import { QuarantinedPairEntity } from './quarantined-pair.entity';
import { ReconcileReportEntity } from './reconcile-report.entity';
import { WebhookEventEntity } from '../webhooks/webhook-event.entity';

export { LeaseEntity, LeaseEventEntity, QuarantinedPairEntity, ReconcileReportEntity, WebhookEventEntity };

/** Listed explicitly: glob discovery breaks under compiled output and hides mistakes. */
export const LEDGER_ENTITIES = [LeaseEntity, LeaseEventEntity, QuarantinedPairEntity, ReconcileReportEntity, WebhookEventEntity];
