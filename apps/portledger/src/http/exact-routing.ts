import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { createServer } from 'node:http';
import { expressShapedMessages } from './express-shaped-messages';

interface RouterMatching {
  caseSensitive?: boolean;
  strict?: boolean;
}

/**
 * Express matches routes case-insensitively and ignores a trailing slash unless told
 * otherwise, so `/API/v1/leases` and `/metrics/` would reach their routes. The router reads
 * its `caseSensitive` and `strict` options each time a route or middleware is added, and the
 * adapter's constructor already created it (with the app settings of that moment), so both
 * are set on the router itself, before Nest registers anything; the app settings say the same
 * for whoever reads them. The one layer added earlier is the adapter's catch-all hook.
 */
export function exactRoutingAdapter(): ExpressAdapter {
  const adapter = new ShapedMessagesAdapter();
  adapter.set('case sensitive routing', true);
  adapter.set('strict routing', true);
  const router = adapter.getInstance<{ router: RouterMatching }>().router;
  router.caseSensitive = true;
  router.strict = true;
  return adapter;
}

/** Refuses to configure an app whose router would match other spellings of a route. */
export function assertExactRouting(app: INestApplication): void {
  const router = (app.getHttpAdapter().getInstance() as { router?: RouterMatching }).router;
  if (!router?.caseSensitive || !router.strict)
    throw new Error('the HTTP adapter must come from exactRoutingAdapter(): routes must match exactly');
}

/**
 * Nest's Express adapter, with node:http building requests and responses that already have the
 * app's prototypes (see express-shaped-messages.ts). HTTPS and `forceCloseConnections` (neither
 * is used by this service) take Nest's own path.
 */
class ShapedMessagesAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    if (options?.httpsOptions || options?.forceCloseConnections) {
      super.initHttpServer(options);
      return;
    }
    const app = this.getInstance<Parameters<typeof expressShapedMessages>[0] & Parameters<typeof createServer>[1]>();
    this.httpServer = createServer(expressShapedMessages(app), app);
  }
}
