import { SetMetadata } from '@nestjs/common';
import { isConsoleAsset } from '../admin/console-assets';

/**
 * How a route is authenticated. A route without a policy needs a bearer token when AUTH_TOKENS
 * is set (deny by default): a new route, or any spelling that reaches one, is never open by
 * accident. Decided from the matched route (BearerAuthGuard), never from the request's path.
 */
export type AuthPolicy = 'open' | 'zlm-secret';

export const AUTH_POLICY = 'portledger:auth-policy';

/** No token: liveness probes must work without credentials, and the admin console's static shell must load to ask for one. */
export const OpenRoute = () => SetMetadata(AUTH_POLICY, 'open' satisfies AuthPolicy);

/** ZLMediaKit's own `secret` argument instead of a bearer token (WVP sends no tokens). */
export const ZlmSecretRoute = () => SetMetadata(AUTH_POLICY, 'zlm-secret' satisfies AuthPolicy);

export const HEALTH_PATH = '/health';
export const ZLM_API_PATH = '/index/api/';

/**
 * Whether a request path may pass the front door without a token: exactly `/health`, the admin
 * console's static files (`/admin`, `/admin/console.js`, `/admin/console.css`: no data in them),
 * and the ZLMediaKit routes (which check their secret before anything else). Exact,
 * case-sensitive comparisons: a path that is not spelled so needs a token (or is a 404 behind it).
 */
export function passesWithoutToken(path: string, zlmApi: boolean): boolean {
  return path === HEALTH_PATH || isConsoleAsset(path) || (zlmApi && path.startsWith(ZLM_API_PATH));
}
