import type { WebhookEvent } from '@app/leasing';
import type { ReconcileReport } from '@app/reconciler';
import { toLeaseResponse } from '../leases/lease.response';
import { toReconcileReportResponse } from '../reconcile/reconcile-report.response';

/**
 * The body POSTed for an outbox event: `{ id, type, at, nodeId, lease }` (the contract's lease;
 * `lease.ended` adds the final `stats`; `forward.*` add `forward`) or `{ …, report }`. Rendered from what the outbox
 * stored when the event happened, so every retry sends the same bytes (and signature).
 */
export function renderWebhookBody(e: WebhookEvent): string {
  const head = { id: e.id, type: e.type, at: new Date(e.createdAt).toISOString(), nodeId: e.nodeId };
  if ('lease' in e.payload) {
    const l = e.payload.lease;
    const lease = e.type === 'lease.ended' ? { ...toLeaseResponse(l), stats: l.finalStats } : toLeaseResponse(l);
    // forward.down / forward.up also carry what changed ({ to, error, reconnects, mediaStream }).
    const forward = e.payload.forward;
    return JSON.stringify(forward ? { ...head, lease, forward } : { ...head, lease });
  }
  return JSON.stringify({ ...head, report: toReconcileReportResponse(e.payload.report as ReconcileReport) });
}
