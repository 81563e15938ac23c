import { Controller, Get, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { OpenRoute, ZlmSecretRoute } from './auth-policy';
import { BearerAuthGuard } from './bearer-auth.guard';
import { BearerTokens } from './bearer-tokens';

const TOKEN = 'a-long-enough-test-token-1';

@Controller('plain')
class PlainController {
  @Get() list() {}
}

@OpenRoute()
@Controller('open')
class OpenController {
  @Get() check() {}
}

@ZlmSecretRoute()
@Controller('zlm')
class ZlmController {
  @Get() call() {}
}

/** A request matched to `handler` of `cls`, at a path that says nothing about the route. */
function matched(cls: new () => object, handler: string, authorization?: string): ExecutionContext {
  const req = { path: '/health', headers: authorization ? { authorization } : {} };
  return {
    getClass: () => cls,
    getHandler: () => (cls.prototype as Record<string, unknown>)[handler],
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

describe('BearerAuthGuard decides from the matched route', () => {
  const guard = new BearerAuthGuard(new BearerTokens([TOKEN]), new Reflector());

  it('needs a token on a route that declares nothing, whatever the request path says', () => {
    expect(() => guard.canActivate(matched(PlainController, 'list'))).toThrow(UnauthorizedException);
    expect(() => guard.canActivate(matched(PlainController, 'list', 'Bearer wrong-token-wrong-token'))).toThrow(UnauthorizedException);
    expect(guard.canActivate(matched(PlainController, 'list', `Bearer ${TOKEN}`))).toBe(true);
  });

  it('lets an @OpenRoute or @ZlmSecretRoute route through without one', () => {
    expect(guard.canActivate(matched(OpenController, 'check'))).toBe(true);
    expect(guard.canActivate(matched(ZlmController, 'call'))).toBe(true);
  });

  it('asks for nothing when AUTH_TOKENS is unset', () => {
    expect(new BearerAuthGuard(new BearerTokens([]), new Reflector()).canActivate(matched(PlainController, 'list'))).toBe(true);
  });
});
