import { DynamicModule, Module } from '@nestjs/common';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhooksController } from './webhooks.controller';
import { WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhooks.options';

/** The deliveries listing (always) and the delivery worker (runs only with WEBHOOK_URL). */
@Module({})
export class WebhooksModule {
  static forRoot(options: WebhookDeliveryOptions): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [WebhooksController],
      providers: [{ provide: WEBHOOK_DELIVERY_OPTIONS, useValue: options }, WebhookDeliveryWorker],
    };
  }
}
