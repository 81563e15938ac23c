import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * End-to-end tests spawn the built service (dist/). `npm test` builds first; this only
 * guards a direct `npx vitest` run against a missing build.
 */
export default function setup(): void {
  const root = join(__dirname, '..', '..');
  const main = join(root, 'dist/apps/portledger/src/main.js');
  if (!existsSync(main) || statSync(main).size === 0) {
    execFileSync('npx', ['nest', 'build', 'portledger'], { cwd: root, stdio: 'inherit' });
  }
}
