import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { PortledgerMetrics } from './portledger-metrics';

/** GET /metrics (Prometheus); global so the webhook worker and the HTTP timing can count. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [PortledgerMetrics],
  exports: [PortledgerMetrics],
})
export class MetricsModule {}
