import { WebhookDeliveries } from '@app/leasing';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ErrorBody } from '../http/error-body';
import { WebhookDeliveriesQueryDto } from './dto/webhook-deliveries-query.dto';
import { WebhookDeliveryPageResponse, toWebhookDeliveryResponse } from './webhook-delivery.response';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly outbox: WebhookDeliveries) {}

  @Get('deliveries')
  @ApiOkResponse({ type: WebhookDeliveryPageResponse, description: "this node's webhook events, newest first" })
  @ApiBadRequestResponse({ type: ErrorBody })
  async deliveries(@Query() q: WebhookDeliveriesQueryDto): Promise<WebhookDeliveryPageResponse> {
    const page = await this.outbox.page({ status: q.status, limit: q.limit ?? 50, cursor: q.cursor });
    return { items: page.items.map(toWebhookDeliveryResponse), nextCursor: page.nextCursor };
  }
}
