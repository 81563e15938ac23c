import { describe, expect, it } from 'vitest';
import { passesWithoutToken } from './auth-policy';

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
});
