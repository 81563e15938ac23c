import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  text: string;
  headers?: IncomingHttpHeaders;
}

/**
 * One request with the path sent exactly as given (fetch would normalise `/./`, `//` and
 * case in the host only; node:http sends the request target verbatim). `headersOnly` answers
 * at the status line, for routes that stream without end.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string; headersOnly?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { connection: 'close', ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: 20_000 }, (res) => {
      if (opts.headersOnly) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, text: '' });
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

const ZLM_ROUTE = /^\/index\/api\/(openRtpServer|closeRtpServer|listRtpServer|getRtpInfo|updateRtpServerSSRC|connectRtpServer)$/;

/** The path part of a request target as the server reads it (absolute-form included). */
export function pathnameOf(target: string): string {
  return target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split(/[?#]/)[0];
}

/** The admin console's static shell: served without a token (it must load to ask for one), no data in it. */
export const CONSOLE_SHELL = ['/admin', '/admin/console.js', '/admin/console.css'];

/**
 * What a request without a token may get (AUTH_TOKENS set): a 4xx; or 200 from exactly
 * `/health` or exactly one of the console's static files (GET/HEAD, a page or a bundle, never
 * JSON); or, from a ZLMediaKit route spelled exactly, ZLMediaKit's auth failure
 * (`code: -100`; HEAD carries no body to show it). Never a 5xx. Null when the answer is fine.
 */
export function unauthenticatedProblem(method: string, target: string, res: RawResponse): string | null {
  if (res.status >= 500) return `server error ${res.status}`;
  if (res.status >= 400) return null;
  const pathname = pathnameOf(target);
  if (pathname === '/health' && (method === 'GET' || method === 'HEAD') && res.status === 200) return null;
  if (CONSOLE_SHELL.includes(pathname) && (method === 'GET' || method === 'HEAD') && res.status === 200 && !/^\s*[[{]/.test(res.text))
    return null;
  if (ZLM_ROUTE.test(pathname) && res.status === 200 && (method === 'HEAD' || /"code":-100\b/.test(res.text))) return null;
  return `answered ${res.status} without a token: ${res.text.slice(0, 120)}`;
}

/** Served outside the controllers (Swagger UI), so the OpenAPI document does not list them. */
export const PAGES_OUTSIDE_CONTROLLERS = [
  '/docs',
  '/docs/',
  '/docs-json',
  '/docs/swagger-ui-init.js',
  '/docs/swagger-ui-bundle.js',
  '/docs/swagger-ui.css',
  '/',
];

/** Every path template of the live OpenAPI document with its operations (`{ get: …, post: … }`). */
export async function documentedPaths(baseUrl: string, token: string): Promise<Record<string, Record<string, unknown>>> {
  const r = await fetch(`${baseUrl}/docs-json`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`GET /docs-json with a token answered ${r.status}`);
  return ((await r.json()) as { paths: Record<string, Record<string, unknown>> }).paths;
}
