import { resolve, sep } from 'node:path';

/**
 * True when `path`, resolved, lies strictly inside `root` (RECORD_DIR), resolved. Lexical:
 * `..` segments are resolved away before the comparison, so `root/../x` is outside.
 */
export function isInsideDir(root: string, path: string): boolean {
  const base = resolve(root);
  const p = resolve(path);
  return p.startsWith(base.endsWith(sep) ? base : base + sep) && p.length > base.length + 1;
}
