import type { INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { ReadinessGuard } from './health';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { BearerAuthGuard } from './http/bearer-auth.guard';
import { BearerTokens } from './http/bearer-tokens';
import { assertExactRouting } from './http/exact-routing';
import { installFrontDoor } from './http/front-door';
import { createValidationPipe } from './http/validation';
import type { Settings } from './config/settings';
import { setupOpenApi } from './docs/openapi';
import { installHttpMetrics } from './metrics/http-metrics';
import { installZlmBodyErrors } from './zlm/zlm-body-errors';
import { ZlmSecret } from './zlm/zlm-secret';

/**
 * Shared by main.ts and the tests that build the app in-process: one way to configure it.
 * The app must be created on exactRoutingAdapter(). Order matters: metrics see every request,
 * then the front door refuses requests without a token before any parser or handler runs.
 */
export function configureApp(app: INestApplication, settings: Settings): void {
  const express = app as NestExpressApplication;
  assertExactRouting(app);
  express.useLogger(app.get(Logger));
  installHttpMetrics(app);
  const tokens = new BearerTokens(settings.http.authTokens);
  installFrontDoor(express, tokens, settings.zlmApiSecret !== null);
  express.useBodyParser('json', { limit: '64kb' });
  express.useBodyParser('urlencoded', { limit: '64kb', extended: false });
  if (settings.zlmApiSecret) installZlmBodyErrors(express, app.get(ZlmSecret));
  express.disable('x-powered-by');
  // No ETag: every answer is about live state, and hashing each body cost a SHA-1 per response.
  express.disable('etag');
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'metrics', 'admin', 'admin/console.js', 'admin/console.css', 'index/api/{*path}'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
  setupOpenApi(app, settings);
  app.useGlobalGuards(new BearerAuthGuard(tokens, app.get(Reflector)), app.get(ReadinessGuard));
}
