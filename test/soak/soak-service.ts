import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { soakClient } from './soak-http';

const MAIN = join(__dirname, '..', '..', 'dist/apps/portledger/src/main.js');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Lines that mean the process hit an error nobody handled (Node prints them before dying). */
const UNCAUGHT = /uncaughtException|unhandledRejection|UnhandledPromiseRejection|FATAL ERROR|JavaScript heap out of memory|Uncaught /;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  at: number;
  tail: string[];
}

/**
 * The real service as a child process that the soak kills (-9) and restarts on the same
 * database. Every exit it did not cause is a crash; its output goes to a log file, and the
 * last lines are kept for the report.
 */
export class SoakService {
  child: ChildProcess | null = null;
  /** increments at each start: the checker resets its grace when it changes */
  generation = 0;
  ready = false;
  readyAt = 0;
  readonly exits: Exit[] = [];
  readonly uncaughtLines: string[] = [];
  private tail: string[] = [];
  private partial = '';
  private expectExit = false;
  private readonly log: WriteStream;
  readonly baseUrl: string;

  constructor(
    private readonly env: Record<string, string>,
    logFile: string,
    private readonly onUnexpectedExit: (e: Exit) => void,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.baseUrl = `http://127.0.0.1:${env.HTTP_PORT}`;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child) throw new Error('service already running');
    this.expectExit = false;
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        HTTP_HOST: '127.0.0.1',
        MEDIA_BIND_HOST: '127.0.0.1',
        MEDIA_ADVERTISED_HOST: '127.0.0.1',
        LOG_FORMAT: 'json',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.generation++;
    live.add(child);
    this.log.write(`\n=== start generation ${this.generation} pid ${child.pid} at ${new Date().toISOString()}\n`);
    const onData = (d: Buffer) => this.onOutput(d);
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        const e: Exit = { code, signal, expected: this.expectExit, at: Date.now(), tail: this.tail.slice(-40) };
        this.exits.push(e);
        this.log.write(`=== exit code ${code} signal ${signal} (${e.expected ? 'expected' : 'UNEXPECTED'})\n`);
        if (this.child === child) {
          this.child = null;
          this.ready = false;
        }
        if (!e.expected) this.onUnexpectedExit(e);
        resolve();
      }),
    );
    this.exitedPromise = exited;
    const client = soakClient(this.baseUrl, 1, 2000);
    const deadline = Date.now() + timeoutMs;
    try {
      while (this.child === child) {
        try {
          const r = await client.get('/api/v1/ports');
          if (r.status === 200 && this.child === child) {
            this.ready = true;
            this.readyAt = Date.now();
            return;
          }
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) {
          await this.kill9();
          throw new Error(`service did not come up in ${timeoutMs} ms:\n${this.tail.slice(-30).join('\n')}`);
        }
        await sleep(100);
      }
      throw new Error(`service exited during start:\n${this.tail.slice(-30).join('\n')}`);
    } finally {
      client.close();
    }
  }

  private exitedPromise: Promise<void> = Promise.resolve();

  /** SIGKILL: no shutdown hooks, sockets die with the process. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectExit = true;
    this.ready = false;
    child.kill('SIGKILL');
    await this.exitedPromise;
  }

  /** SIGTERM; resolves with the exit (the contract: code 0 within 10 s). */
  async stop(): Promise<Exit | null> {
    const child = this.child;
    if (!child) return null;
    this.expectExit = true;
    this.ready = false;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exitedPromise;
    clearTimeout(timer);
    return this.exits[this.exits.length - 1];
  }

  close(): void {
    this.log.end();
  }

  private onOutput(d: Buffer): void {
    this.log.write(d);
    const text = this.partial + d.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > 10_000) this.partial = this.partial.slice(-10_000);
    for (const line of lines) {
      this.tail.push(line.length > 2000 ? line.slice(0, 2000) + '…' : line);
      if (UNCAUGHT.test(line)) this.uncaughtLines.push(line.slice(0, 2000));
    }
    if (this.tail.length > 400) this.tail = this.tail.slice(-200);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
