import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A client that calls the ZLMediaKit-compatible API exactly as WVP-GB28181-pro's
 * ZLMRESTfulUtils.sendPost does: POST http://host:port/index/api/<api> with an
 * application/x-www-form-urlencoded body, `secret` first, then every non-null parameter as
 * its toString() (numbers as decimal text, booleans as "1"/"0" where WVP writes them so).
 */
export function wvpClient(baseUrl: string, secret: string) {
  const sendPost = async (api: string, params: Record<string, string | number | null | undefined> = {}) => {
    const form = new URLSearchParams();
    form.append('secret', secret);
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) form.append(k, String(v));
    const r = await fetch(`${baseUrl}/index/api/${api}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  return {
    sendPost,
    // ZLMServerFactory.createRTPServer: tcp_mode, stream_id, re_use_port, port (0 = any), only_audio, ssrc (when not 0)
    openRtpServer: (streamId: string, o: { ssrc?: number; port?: number; tcpMode?: number } = {}) =>
      sendPost('openRtpServer', {
        tcp_mode: o.tcpMode ?? 1,
        stream_id: streamId,
        re_use_port: '0',
        port: o.port ?? 0,
        only_audio: '0',
        ssrc: o.ssrc ? o.ssrc : undefined,
      }),
    getRtpInfo: (streamId: string) => sendPost('getRtpInfo', { stream_id: streamId }),
    closeRtpServer: (streamId: string) => sendPost('closeRtpServer', { stream_id: streamId }),
    listRtpServer: () => sendPost('listRtpServer'),
    // ZLMRESTfulUtils.connectRtpServer: dst_url, dst_port, app, stream_id
    connectRtpServer: (streamId: string, dstUrl: string, dstPort: number) =>
      sendPost('connectRtpServer', { dst_url: dstUrl, dst_port: dstPort, app: 'rtp', stream_id: streamId }),
    // ZLMRESTfulUtils.updateRtpServerSSRC: ssrc as the String WVP keeps (10 digits), stream_id
    updateRtpServerSSRC: (streamId: string, ssrc: string) => sendPost('updateRtpServerSSRC', { ssrc, stream_id: streamId }),
  };
}

export interface ReceivedWebhook {
  body: any;
  raw: string;
  signatureValid: boolean;
}

/**
 * A webhook receiver on 127.0.0.1 that checks `X-Portledger-Signature` (HMAC-SHA256 of the raw
 * body) itself and answers 204; it can be stopped, started again on the same port, or told to
 * hang (accept the request and never answer).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  hang = false;
  private server: Server | null = null;
  private readonly hung: ServerResponse[] = [];

  constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/portledger`;
  }

  start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const res of this.hung.splice(0)) res.destroy();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(() => r(undefined)));
  }

  /** Every event received for a subject (lease id or report id), de-duplicated by event id, in arrival order. */
  eventsFor(subjectId: string): any[] {
    const seen = new Set<string>();
    return this.received.map((r) => r.body).filter((b) => (b.lease?.id ?? b.report?.id) === subjectId && !seen.has(b.id) && seen.add(b.id));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      if (this.hang) {
        this.hung.push(res);
        return;
      }
      const raw = Buffer.concat(parts).toString('utf8');
      const expected = Buffer.from(`sha256=${createHmac('sha256', this.secret).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-portledger-signature'] ?? ''));
      const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
      this.received.push({ raw, body: JSON.parse(raw), signatureValid });
      res.statusCode = signatureValid ? 204 : 401;
      res.end();
    });
  }
}

/** Parses Prometheus text into `name{labels}` → value (labels as written, sorted by the client). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
