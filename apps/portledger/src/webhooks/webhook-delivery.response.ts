import { WEBHOOK_EVENT_TYPES, WEBHOOK_STATUSES, type WebhookEvent } from '@app/leasing';
import { ApiProperty } from '@nestjs/swagger';

export class WebhookDeliveryResponse {
  @ApiProperty({ format: 'uuid', description: 'the event id, as in the body sent' }) id: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) type: string;
  @ApiProperty({ enum: WEBHOOK_STATUSES }) status: string;
  @ApiProperty({ description: 'delivery attempts made so far' }) attempts: number;
  @ApiProperty({ nullable: true, type: String, description: 'why the last attempt failed (HTTP status or network error)' }) lastError:
    string | null;
  @ApiProperty({ nullable: true, type: String, description: 'when a pending event is tried next; null once delivered or failed' })
  nextAttemptAt: string | null;
  @ApiProperty({ description: 'the lease or reconcile report the event is about' }) subjectId: string;
  @ApiProperty() createdAt: string;
}

export class WebhookDeliveryPageResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) items: WebhookDeliveryResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export function toWebhookDeliveryResponse(e: WebhookEvent): WebhookDeliveryResponse {
  return {
    id: e.id,
    type: e.type,
    status: e.status,
    attempts: e.attempts,
    lastError: e.lastError,
    nextAttemptAt: e.status === 'pending' ? new Date(e.nextAttemptAt).toISOString() : null,
    subjectId: e.subjectId,
    createdAt: new Date(e.createdAt).toISOString(),
  };
}
