import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AUTH_POLICY, type AuthPolicy } from './auth-policy';
import { BearerTokens, UNAUTHORIZED_BODY } from './bearer-tokens';

/**
 * When AUTH_TOKENS is set, every route needs `Authorization: Bearer <token>` unless the matched
 * route itself says otherwise (@OpenRoute, @ZlmSecretRoute). The decision reads the route's
 * metadata, so no spelling of a path can change it.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: BearerTokens,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.tokens.required) return true;
    const policy = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [context.getHandler(), context.getClass()]);
    if (policy === 'open' || policy === 'zlm-secret') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (this.tokens.accepts(req.headers.authorization)) return true;
    throw new UnauthorizedException(UNAUTHORIZED_BODY);
  }
}
