/** The few REST calls the simulator makes, as a signalling server would. */
export class LeaseClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async create(body: Record<string, unknown>): Promise<{ id: string; host: string; rtpPort: number; rtcpPort: number }> {
    return this.call('POST', '/api/v1/leases', body);
  }

  async get(id: string): Promise<{ id: string; host: string; rtpPort: number; state: string }> {
    return this.call('GET', `/api/v1/leases/${encodeURIComponent(id)}`);
  }

  /** TCP-ACTIVE: asks the media host to dial the device at address:port. */
  async connect(id: string, address: string, port: number): Promise<void> {
    await this.call('POST', `/api/v1/leases/${encodeURIComponent(id)}/connect`, { address, port });
  }

  async release(id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/leases/${encodeURIComponent(id)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const r = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
