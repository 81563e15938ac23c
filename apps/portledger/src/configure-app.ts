import type { INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { Readiness, ReadinessGuard } from './health';
import { API_PREFIX, OUTSIDE_API_PREFIX } from './http/api-prefix';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { BearerAuthGuard } from './http/bearer-auth.guard';
import { BearerTokens } from './http/bearer-tokens';
import { assertExactRouting } from './http/exact-routing';
import { installFrontDoor } from './http/front-door';
import { installDirectRoutes } from './http/direct-routes';
import { createValidationPipe } from './http/validation';
import { LEASE_DIRECT_ROUTES } from './leases/lease-direct-routes';
import type { Settings } from './config/settings';
import { setupOpenApi } from './docs/openapi';
import { installHttpMetrics } from './metrics/http-metrics';
import { installZlmBodyErrors } from './zlm/zlm-body-errors';
import { ZLM_DIRECT_ROUTES } from './zlm/zlm-direct-routes';
import { ZlmSecret } from './zlm/zlm-secret';

/**
 * Shared by main.ts and the tests that build the app in-process: one way to configure it.
 * The app must be created on exactRoutingAdapter(). Order matters: metrics see every request,
 * then the front door refuses requests without a token before any parser or handler runs, then
 * the body parsers, then the allocation cycle's direct routes, then (at init) Nest's router.
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
  const pipe = createValidationPipe();
  const reflector = app.get(Reflector);
  // LOG_REQUESTS: the request log line comes from pino-http, which Nest mounts at init, after
  // these; then every request takes Nest's router.
  if (!settings.log.requests) {
    installDirectRoutes(express, [...LEASE_DIRECT_ROUTES, ...(settings.zlmApiSecret ? ZLM_DIRECT_ROUTES : [])], {
      tokens,
      readiness: app.get(Readiness),
      reflector,
      pipe,
    });
  }
  express.disable('x-powered-by');
  // No ETag: every answer is about live state, and hashing each body cost a SHA-1 per response.
  express.disable('etag');
  app.setGlobalPrefix(API_PREFIX, { exclude: OUTSIDE_API_PREFIX });
  app.useGlobalPipes(pipe);
  app.useGlobalFilters(new ApiExceptionFilter());
  setupOpenApi(app, settings);
  // The direct routes do what these guards, the pipe and the filter do (http/direct-routes.ts):
  // a new global guard, interceptor or module middleware must be added there too.
  app.useGlobalGuards(new BearerAuthGuard(tokens, reflector), app.get(ReadinessGuard));
}
