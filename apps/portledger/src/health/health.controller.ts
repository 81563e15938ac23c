import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { OpenRoute } from '../http/auth-policy';
import {
  BootHealthIndicator,
  DatabaseHealthIndicator,
  ListenerHealthIndicator,
  ReconcilerHealthIndicator,
} from './ledger-health.indicators';

/**
 * GET /health (outside /api/v1, no token): 200 when every check is up, 503 when one is down,
 * both with every check's details: `{ status, info, error, details }` (Terminus' shape).
 */
@ApiTags('operations')
@OpenRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly boot: BootHealthIndicator,
    private readonly database: DatabaseHealthIndicator,
    private readonly listeners: ListenerHealthIndicator,
    private readonly reconciler: ReconcilerHealthIndicator,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOkResponse({ description: 'every check up: { status: "ok", info, error: {}, details }' })
  @ApiServiceUnavailableResponse({ description: 'a check is down: { status: "error", info, error, details }' })
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.boot.check(),
        () => this.database.check(),
        () => this.listeners.check(),
        () => this.reconciler.check(),
      ]);
    } catch (err) {
      // Terminus throws its 503 with the details; answer them as they are (not as an error body).
      if (err instanceof ServiceUnavailableException) {
        res.status(503);
        return err.getResponse() as HealthCheckResult;
      }
      throw err;
    }
  }
}
