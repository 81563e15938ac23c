import { Agent, request } from 'node:http';

/**
 * A lean keep-alive JSON client for load generation: undici's fetch costs the load generator
 * more CPU than the service spends answering, on a 2-core machine that skews every number.
 */
export function jsonClient(baseUrl: string, maxSockets = 64) {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    post: (p: string, b: unknown) => call('POST', p, b),
    del: (p: string) => call('DELETE', p),
    get: (p: string) => call('GET', p),
    close: () => agent.destroy(),
  };
}
