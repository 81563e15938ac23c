import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * When AUTH_TOKENS is set, every /api/v1 route and /metrics need `Authorization: Bearer <token>`.
 * Tokens are compared as SHA-256 digests with timingSafeEqual: constant time, and the
 * equal-length requirement never leaks a token's length.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(tokens: string[]) {
    this.digests = tokens.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (!req.path.startsWith('/api/') && req.path !== '/metrics') return true;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (m) {
      const given = digest(m[1]);
      let ok = false;
      for (const d of this.digests) ok = timingSafeEqual(d, given) || ok;
      if (ok) return true;
    }
    throw new UnauthorizedException({ statusCode: 401, error: 'unauthorized', message: 'a valid Authorization: Bearer <token> header is required' });
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
