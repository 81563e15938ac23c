import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PortledgerMetrics } from './portledger-metrics';

/**
 * Observes every HTTP request's latency (404s and auth failures included), labelled by the
 * matched route pattern (`/api/v1/leases/:id`, never the concrete path), so lease ids never
 * become label values. Installed first, as plain Express middleware.
 */
export function installHttpMetrics(app: INestApplication): void {
  const metrics = app.get(PortledgerMetrics);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      // Express types `req.route` as any; it is set (with its pattern) only when a route matched.
      const matched = req.route as { path?: string | RegExp | (string | RegExp)[] } | undefined;
      const route = matched?.path ? `${req.baseUrl}${String(matched.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.httpDuration.observe({ method: req.method, route, status_code: String(res.statusCode) }, seconds);
    });
    next();
  });
}
