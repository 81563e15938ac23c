import { WEBHOOK_STATUSES, type WebhookStatus } from '@app/leasing';
import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { LeaseHistoryQueryDto } from '../../leases/dto/lease-history-query.dto';

/** Paged like lease history (same limit/cursor rules), newest first. */
export class WebhookDeliveriesQueryDto extends PickType(LeaseHistoryQueryDto, ['limit', 'cursor'] as const) {
  @ApiPropertyOptional({
    enum: WEBHOOK_STATUSES,
    description: 'pending: not delivered yet (retrying); delivered; failed: given up 24 h after the event',
  })
  @IsOptional()
  @IsIn(WEBHOOK_STATUSES, { message: `status must be one of ${WEBHOOK_STATUSES.join(', ')}` })
  status?: WebhookStatus;
}
