import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A process that is not the service holding a port of the range for a while: what steals
 * ports in the field. Resolves 'held' once it listens, 'taken' when the port was busy (the
 * service got there first), and runs until `release()`.
 */
export async function grabPort(
  port: number,
  host: string,
): Promise<{ outcome: 'held' | 'taken' | 'failed'; release: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s=require('net').createServer();s.on('error',e=>{console.log(e.code==='EADDRINUSE'?'taken':'failed:'+e.code);process.exit(3)});` +
        `s.listen({port:${port},host:${JSON.stringify(host)},exclusive:true},()=>console.log('held'));setTimeout(()=>process.exit(0),600000)`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const outcome = await new Promise<'held' | 'taken' | 'failed'>((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('held')) resolve('held');
      else if (out.includes('taken')) resolve('taken');
      else if (out.includes('failed')) resolve('failed');
    });
    child.once('exit', () => resolve(out.includes('held') ? 'held' : out.includes('taken') ? 'taken' : 'failed'));
  });
  return {
    outcome,
    release: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export type ReceiverMode = 'up' | 'error' | 'down';

/**
 * The signalling server's webhook endpoint, flapping between answering 200, answering 500
 * and not listening at all. Checks each body's HMAC-SHA256 signature.
 */
export class FlappingReceiver {
  mode: ReceiverMode = 'up';
  deliveries = 0;
  accepted = 0;
  badSignatures = 0;
  flaps = 0;
  readonly eventIds = new Set<string>();
  private server: HttpServer | null = null;

  constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async setMode(mode: ReceiverMode): Promise<void> {
    if (mode === this.mode && (mode === 'down') === (this.server === null)) return;
    if (mode !== this.mode) this.flaps++;
    this.mode = mode;
    if (mode === 'down') await this.stopServer();
    else await this.startServer();
  }

  async start(): Promise<void> {
    await this.startServer();
  }

  async close(): Promise<void> {
    await this.stopServer();
  }

  private async startServer(): Promise<void> {
    if (this.server) return;
    const server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.deliveries++;
        const body = Buffer.concat(chunks);
        const want = 'sha256=' + createHmac('sha256', this.secret).update(body).digest('hex');
        if (req.headers['x-portledger-signature'] !== want) this.badSignatures++;
        if (this.mode === 'error') {
          res.writeHead(500).end('flapping');
          return;
        }
        try {
          const id = JSON.parse(body.toString('utf8'))?.id;
          if (typeof id === 'string') this.eventIds.add(id);
        } catch {
          // counted by the signature check at most
        }
        this.accepted++;
        res.writeHead(200).end('ok');
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  private async stopServer(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/**
 * A TCP proxy in front of PostgreSQL that the soak cuts and restores: `cut()` destroys every
 * proxied connection and, while cut, resets new ones (or refuses them: the server closes).
 * The machine's PostgreSQL server itself is never touched.
 */
export class CuttableProxy {
  cuts = 0;
  isCut = false;
  private server: Server | null = null;
  private readonly pairs = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly upstreamPort: number,
    private readonly upstreamHost = '127.0.0.1',
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((down) => {
      if (this.isCut) {
        down.resetAndDestroy();
        return;
      }
      const up = connect({ host: this.upstreamHost, port: this.upstreamPort });
      this.pairs.add(down);
      this.pairs.add(up);
      const end = () => {
        down.destroy();
        up.destroy();
        this.pairs.delete(down);
        this.pairs.delete(up);
      };
      down.on('error', end);
      up.on('error', end);
      down.on('close', end);
      up.on('close', end);
      down.pipe(up);
      up.pipe(down);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Cuts every connection; `refuse` also stops listening (ECONNREFUSED) until restored. */
  async cut(refuse: boolean): Promise<void> {
    this.cuts++;
    this.isCut = true;
    for (const s of this.pairs) s.resetAndDestroy();
    this.pairs.clear();
    if (refuse) await this.stopListening();
  }

  async restore(): Promise<void> {
    this.isCut = false;
    await this.start();
  }

  async close(): Promise<void> {
    for (const s of this.pairs) s.destroy();
    this.pairs.clear();
    await this.stopListening();
  }

  private async stopListening(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise<void>((r) => s.close(() => r()));
  }
}
