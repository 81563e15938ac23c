import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { passesWithoutToken } from './auth-policy';
import { BearerTokens, UNAUTHORIZED_BODY } from './bearer-tokens';

/**
 * With AUTH_TOKENS set, a request without a valid token is answered 401 here, before the body
 * parsers (a 400/413 about a body tells nothing to someone without a token) and before the
 * handlers that live outside Nest's guards (Swagger UI at /docs, /docs-json and its assets).
 * Only exactly `/health` and the ZLMediaKit routes pass without one; behind this door the
 * route guard decides again from the matched route.
 */
export function installFrontDoor(app: NestExpressApplication, tokens: BearerTokens, zlmApi: boolean): void {
  if (!tokens.required) return;
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (passesWithoutToken(req.path, zlmApi) || tokens.accepts(req.headers.authorization)) return next();
    res.status(401).json(UNAUTHORIZED_BODY);
  });
}
