import { GatewayModule } from '@app/gateway';
import { LedgerModule } from '@app/ledger';
import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { BootSequence } from './boot/boot-sequence';
import type { Settings } from './config/settings';
import { SETTINGS } from './config/settings.token';
import { LeaseStreamController } from './leases/lease-stream.controller';
import { LeasesController } from './leases/leases.controller';
import { PortsController } from './ports/ports.controller';

@Module({})
export class AppModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            level: settings.log.level,
            autoLogging: settings.log.requests,
            quietReqLogger: true,
            ...(settings.log.format === 'pretty' ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
          },
        }),
        GatewayModule.forRoot({ bindHost: settings.media.bindHost }),
        LedgerModule.forRoot({
          database: settings.database,
          nodeId: settings.nodeId,
          range: settings.media.range,
          bindHost: settings.media.bindHost,
          advertisedHost: settings.media.advertisedHost,
          leaseDefaults: settings.leaseDefaults,
          recordDir: settings.media.recordDir,
          testDelayAfterInsertMs: settings.testDelayAfterInsertMs,
        }),
      ],
      controllers: [LeasesController, LeaseStreamController, PortsController],
      providers: [{ provide: SETTINGS, useValue: settings }, BootSequence],
    };
  }
}
