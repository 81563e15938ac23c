import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AUTH_POLICY, type AuthPolicy } from './auth-policy';
import { BearerTokens, UNAUTHORIZED_BODY } from './bearer-tokens';

/** The route's own policy: on the handler, else on its controller; undefined means a token is needed. */
export function routePolicy(reflector: Reflector, handler: object, controller: object): AuthPolicy | undefined {
  return reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [handler as () => void, controller as () => void]);
}

/**
 * The one rule, for the guard and for the direct routes (http/direct-routes.ts): with AUTH_TOKENS
 * set, a route without a policy of its own needs one of the tokens.
 */
export function routeAdmits(tokens: BearerTokens, policy: AuthPolicy | undefined, authorization: string | undefined): boolean {
  return !tokens.required || policy === 'open' || policy === 'zlm-secret' || tokens.accepts(authorization);
}

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
    const policy = routePolicy(this.reflector, context.getHandler(), context.getClass());
    if (routeAdmits(this.tokens, policy, context.switchToHttp().getRequest<Request>().headers.authorization)) return true;
    throw new UnauthorizedException(UNAUTHORIZED_BODY);
  }
}
