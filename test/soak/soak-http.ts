import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: any;
}

/**
 * Keep-alive JSON client for the soak: never throws on a body it cannot parse (a crashing
 * service may answer half a response), rejects on network errors and after `timeoutMs`.
 */
export function soakClient(baseUrl: string, maxSockets = 64, timeoutMs = 15_000) {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string | number> =
        payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
      const req = request({ host: url.hostname, port: url.port, method, path, agent, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${path}`)));
      req.on('error', reject);
      req.end(payload);
    });
  return {
    get: (p: string) => call('GET', p),
    post: (p: string, b?: unknown) => call('POST', p, b ?? {}),
    del: (p: string) => call('DELETE', p),
    call,
    close: () => agent.destroy(),
  };
}

export type SoakClient = ReturnType<typeof soakClient>;
