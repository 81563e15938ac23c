// Builds the admin console into dist/admin (served by the service at /admin): one minified
// script, one stylesheet, the page. Part of `npm run build`, so a fresh clone serves it after
// `npm install && npm start`. `--check-size` fails when the page weighs 200 KB or more.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'dist', 'admin');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { console: join(here, 'src', 'main.ts') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  legalComments: 'none',
  logLevel: 'warning',
});
await build({ entryPoints: { console: join(here, 'src', 'console.css') }, outdir: out, bundle: true, minify: true, logLevel: 'warning' });
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));

const bytes = readdirSync(out).reduce((n, f) => n + statSync(join(out, f)).size, 0);
const limit = 200 * 1024;
console.log(`admin console: dist/admin, ${(bytes / 1024).toFixed(1)} KB`);
if (bytes >= limit) {
  console.error(`admin console weighs ${bytes} bytes: the page must stay under ${limit}`);
  process.exit(1);
}
