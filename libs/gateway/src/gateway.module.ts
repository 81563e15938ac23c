import { DynamicModule, Module } from '@nestjs/common';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.options';
import { MediaGateway } from './media-gateway.service';
import { RecordingRetention } from './recording-retention';

@Module({})
export class GatewayModule {
  static forRoot(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      global: true,
      providers: [{ provide: GATEWAY_OPTIONS, useValue: options }, MediaGateway, RecordingRetention],
      exports: [MediaGateway, RecordingRetention],
    };
  }
}
