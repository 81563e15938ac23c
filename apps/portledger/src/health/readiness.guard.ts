import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Readiness } from './readiness';
import { ServiceStartingError } from './service-starting.error';

/** Routes that answer while the service starts: they read no ledger state (or report on it); the console's shell holds none. */
const ALWAYS_OPEN = /^\/(health|metrics|docs|admin)(\/|-json|$)/;

/** Until the boot sequence is done, every route but /health (and /metrics, /docs) answers `503 starting`. */
@Injectable()
export class ReadinessGuard implements CanActivate {
  constructor(private readonly readiness: Readiness) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.readiness.ready) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (ALWAYS_OPEN.test(req.path)) return true;
    throw new ServiceStartingError();
  }
}
