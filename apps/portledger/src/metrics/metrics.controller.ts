import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../http/error-body';
import { PortledgerMetrics } from './portledger-metrics';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: PortledgerMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format; names portledger_*', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'AUTH_TOKENS is set and no valid bearer token was sent' })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
