import { LEDGER_OPTIONS, WebhookOutboxRepository, type LedgerOptions } from '@app/ledger';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ErrorBody } from '../http/error-body';
import { WebhookDeliveriesQueryDto } from './dto/webhook-deliveries-query.dto';
import { WebhookDeliveryPageResponse, toWebhookDeliveryResponse } from './webhook-delivery.response';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    @Inject(LEDGER_OPTIONS) private readonly ledger: LedgerOptions,
    private readonly outbox: WebhookOutboxRepository,
  ) {}

  @Get('deliveries')
  @ApiOkResponse({ type: WebhookDeliveryPageResponse, description: "this node's webhook events, newest first" })
  @ApiBadRequestResponse({ type: ErrorBody })
  async deliveries(@Query() q: WebhookDeliveriesQueryDto): Promise<WebhookDeliveryPageResponse> {
    const page = await this.outbox.page({ nodeId: this.ledger.nodeId, status: q.status, limit: q.limit ?? 50, cursor: q.cursor });
    return { items: page.items.map(toWebhookDeliveryResponse), nextCursor: page.nextCursor };
  }
}
