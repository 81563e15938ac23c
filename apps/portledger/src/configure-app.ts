import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { ReadinessGuard } from './health';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { BearerAuthGuard } from './http/bearer-auth.guard';
import { createValidationPipe } from './http/validation';
import type { Settings } from './config/settings';
import { setupOpenApi } from './docs/openapi';
import { installHttpMetrics } from './metrics/http-metrics';
import { installZlmBodyErrors } from './zlm/zlm-body-errors';

/** Shared by main.ts and the tests that build the app in-process: one way to configure it. */
export function configureApp(app: INestApplication, settings: Settings): void {
  const express = app as NestExpressApplication;
  express.useLogger(app.get(Logger));
  installHttpMetrics(app);
  express.useBodyParser('json', { limit: '64kb' });
  express.useBodyParser('urlencoded', { limit: '64kb', extended: false });
  if (settings.zlmApiSecret) installZlmBodyErrors(express);
  express.disable('x-powered-by');
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'metrics', 'index/api/{*path}'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
  setupOpenApi(app, settings);
  app.useGlobalGuards(new BearerAuthGuard(settings.http.authTokens), app.get(ReadinessGuard));
}
