import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The admin console's static shell: the page and its bundle, built by `npm run build`
 * (apps/admin-console/build.mjs) into dist/admin. They hold no data (every datum comes from
 * /api/v1 with the bearer token), so these exact paths are served without a token: the page
 * must load to ask for one.
 */
export const CONSOLE_ASSETS = {
  '/admin': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/admin/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/admin/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
} as const;

export type ConsolePath = keyof typeof CONSOLE_ASSETS;

/** Whether a request path is exactly one of the console's static files (case and slashes as written). */
export function isConsoleAsset(path: string): path is ConsolePath {
  return Object.prototype.hasOwnProperty.call(CONSOLE_ASSETS, path);
}

/** dist/admin of the checkout this code runs from (dist/apps/… when built, apps/… under the tests' TS loader). */
export function consoleBuildDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return join(from, 'admin-not-found');
    dir = up;
  }
  return join(dir, 'dist', 'admin');
}

/** Reads each asset once; null when the bundle was not built. */
export class ConsoleAssets {
  private readonly cache = new Map<ConsolePath, Buffer>();

  constructor(private readonly dir = consoleBuildDir()) {}

  read(path: ConsolePath): Buffer | null {
    const hit = this.cache.get(path);
    if (hit) return hit;
    const file = join(this.dir, CONSOLE_ASSETS[path].file);
    if (!existsSync(file)) return null;
    const body = readFileSync(file);
    this.cache.set(path, body);
    return body;
  }
}
