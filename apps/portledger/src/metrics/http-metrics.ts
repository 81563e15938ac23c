import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { PortledgerMetrics } from './portledger-metrics';

const STARTED = Symbol('portledger.http.started');

type TimedResponse = Response & { [STARTED]: number };

/**
 * Observes every HTTP request's latency (404s and auth failures included), labelled by the
 * matched route pattern (`/api/v1/leases/:id`, never the concrete path), so lease ids never
 * become label values. Installed first, as plain Express middleware. The start time rides on
 * the response and one 'finish' listener serves every request: no closure per request.
 */
export function installHttpMetrics(app: INestApplication): void {
  const metrics = app.get(PortledgerMetrics);
  function observe(this: TimedResponse): void {
    const req = this.req;
    // Express types `req.route` as any; it is set (with its pattern) only when a route matched.
    const matched = req.route as { path?: string | RegExp | (string | RegExp)[] } | undefined;
    const route = matched?.path ? `${req.baseUrl}${String(matched.path)}` : 'unmatched';
    const seconds = (performance.now() - this[STARTED]) / 1000;
    metrics.httpDuration.observe({ method: req.method, route, status_code: String(this.statusCode) }, seconds);
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    (res as TimedResponse)[STARTED] = performance.now();
    res.on('finish', observe);
    next();
  });
}
