import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSOLE_ASSETS } from '../admin/console-assets';
import { HEALTH_PATH, passesWithoutToken } from './auth-policy';

const README = join(__dirname, '../../../../README.md');

describe('which request paths pass the front door without a token (AUTH_TOKENS set)', () => {
  it('lets through exactly /health and the three files of the console shell', () => {
    for (const path of ['/health', '/admin', '/admin/console.js', '/admin/console.css'])
      expect(passesWithoutToken(path, false), path).toBe(true);
  });

  it('stops every other spelling of them, and every data route', () => {
    for (const path of [
      '/admin/',
      '/Admin',
      '/admin//console.js',
      '/admin/console.js/',
      '/admin/../api/v1/ports',
      '/admin/x',
      '/admin.js',
      '/health/',
      '/api/v1/ports/pairs',
      '/api/v1/nodes',
      '/docs',
    ])
      expect(passesWithoutToken(path, false), path).toBe(false);
  });

  it('lets the ZLMediaKit routes through only when that API is on (they check their secret)', () => {
    expect(passesWithoutToken('/index/api/openRtpServer', true)).toBe(true);
    expect(passesWithoutToken('/index/api/openRtpServer', false)).toBe(false);
  });

  it("is what README's security notes say is open: /health and every file of the console shell, by name", () => {
    const readme = readFileSync(README, 'utf8');
    const notes = readme.slice(readme.indexOf('## Security notes'));
    const start = notes.indexOf('**What a token protects.**');
    expect(start).toBeGreaterThan(0);
    const protects = notes.slice(start, notes.indexOf('\n- ', start));
    for (const path of [HEALTH_PATH, ...Object.keys(CONSOLE_ASSETS)]) {
      expect(passesWithoutToken(path, false), path).toBe(true);
      expect(protects, path).toContain(`\`${path}\``);
    }
  });
});
