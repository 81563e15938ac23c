import { GatewayModule } from '@app/gateway';
import { LeasingModule } from '@app/leasing';
import { ReconcilerModule } from '@app/reconciler';
import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { jsonLogDestination } from './logging/log-destination';
import { BootSequence } from './boot/boot-sequence';
import type { Settings } from './config/settings';
import { SETTINGS } from './config/settings.token';
import { HEALTH_CONTROLLERS, HEALTH_IMPORTS, HEALTH_PROVIDERS } from './health';
import { LeaseStreamController } from './leases/lease-stream.controller';
import { LeasesController } from './leases/leases.controller';
import { PortsController } from './ports/ports.controller';
import { AdminConsoleController } from './admin/admin-console.controller';
import { NodesController } from './nodes/nodes.controller';
import { ReconcileController } from './reconcile/reconcile.controller';
import { MetricsModule } from './metrics/metrics.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ZlmApiModule } from './zlm/zlm-api.module';

@Module({})
export class AppModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          // A per-request child logger costs ~4 % of a lease cycle's CPU (measured); only
          // build it when request logging is asked for.
          forRoutes: settings.log.requests ? [{ path: '{*path}', method: RequestMethod.ALL }] : [],
          pinoHttp: [
            {
              level: settings.log.level,
              autoLogging: settings.log.requests,
              quietReqLogger: true,
              ...(settings.log.format === 'pretty' ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
            },
            ...(settings.log.format === 'json' ? [jsonLogDestination()] : []),
          ] as never,
        }),
        GatewayModule.forRoot({
          bindHost: settings.media.bindHost,
          recordDir: settings.media.recordDir,
          recordMaxBytes: settings.media.recordMaxBytes,
          recordRetentionDays: settings.media.recordRetentionDays,
          forwardBufferBytes: settings.media.forwardBufferBytes,
          forwardBufferTotalBytes: settings.media.forwardBufferTotalBytes,
          forwardBatchMs: settings.media.forwardBatchMs,
        }),
        LeasingModule.forRoot({
          database: settings.database,
          nodeId: settings.nodeId,
          range: settings.media.range,
          bindHost: settings.media.bindHost,
          advertisedHost: settings.media.advertisedHost,
          leaseDefaults: settings.leaseDefaults,
          recordDir: settings.media.recordDir,
          forwardTo: settings.media.forwardTo,
          webhooks: settings.webhook.url !== null,
          historyRetentionDays: settings.retention.historyDays,
          testDelayAfterInsertMs: settings.testDelayAfterInsertMs,
          resumeRetryS: settings.resumeRetryS,
        }),
        ScheduleModule.forRoot(),
        MetricsModule,
        WebhooksModule.forRoot({
          url: settings.webhook.url,
          secret: settings.webhook.secret,
          deliveredRetentionDays: settings.retention.reportDays,
          failedRetentionDays: settings.retention.historyDays,
        }),
        ...(settings.zlmApiSecret ? [ZlmApiModule.forRoot(settings.zlmApiSecret)] : []),
        ReconcilerModule.forRoot({
          intervalS: settings.reconcile.intervalS,
          cron: settings.reconcile.cron,
          minAgeMs: settings.reconcile.minAgeS * 1000,
          reportRetentionDays: settings.retention.reportDays,
        }),
        ...HEALTH_IMPORTS,
      ],
      controllers: [
        LeasesController,
        LeaseStreamController,
        PortsController,
        NodesController,
        ReconcileController,
        AdminConsoleController,
        ...HEALTH_CONTROLLERS,
      ],
      providers: [{ provide: SETTINGS, useValue: settings }, BootSequence, ...HEALTH_PROVIDERS],
    };
  }
}
