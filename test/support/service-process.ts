import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'dist/apps/portledger/src/main.js');

// A failed test must not leave services running (they would hold ports for the next run).
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export interface ServiceProcess {
  child: ChildProcess;
  baseUrl: string;
  /** everything the process wrote to stdout and stderr so far */
  output(): string;
  /** SIGKILL: no shutdown hooks run, sockets die with the process */
  kill9(): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the built service (dist/, or `opts.main`) as a real child process with the given environment
 * (merged over safe test defaults) and resolves once its HTTP API answers.
 */
export async function startService(
  env: Record<string, string>,
  opts: {
    timeoutMs?: number;
    /** another build of the service (a benchmark comparing builds); this tree's dist/ by default */
    main?: string;
    /** before the script, e.g. `--cpu-prof` (which NODE_OPTIONS refuses) */
    nodeArgs?: string[];
  } = {},
): Promise<ServiceProcess> {
  const fullEnv = serviceEnv(env);
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.main ?? MAIN], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const baseUrl = `http://${fullEnv.HTTP_HOST}:${fullEnv.HTTP_PORT}`;
  const headers: Record<string, string> = fullEnv.AUTH_TOKENS ? { authorization: `Bearer ${fullEnv.AUTH_TOKENS.split(',')[0]}` } : {};
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let done = false;
  // `exited` only ever resolves (the child's exit event), so there is no rejection to handle.
  void exited.then(() => (done = true));
  // Ready = this child logged that it listens AND the API answers as this node (another
  // process on the same port must not pass for ours: with a quiet log level there is no
  // "listening" line, and a stray service on the port answered for a bench's third node).
  const quiet = ['warn', 'error', 'fatal', 'silent'].includes(fullEnv.LOG_LEVEL);
  while (!done) {
    try {
      if (quiet || out.includes('portledger listening on')) {
        const r = await fetch(`${baseUrl}/api/v1/ports`, { headers });
        if (r.status === 200 && ((await r.json()) as { nodeId?: string }).nodeId === fullEnv.NODE_ID) break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not come up on ${baseUrl}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (done) throw new Error(`service exited during start:\n${out}`);
  return {
    child,
    baseUrl,
    output: () => out,
    exited,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return (await exited).code;
    },
  };
}

/** The given environment over safe test defaults. */
function serviceEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    HTTP_HOST: '127.0.0.1',
    MEDIA_BIND_HOST: '127.0.0.1',
    MEDIA_ADVERTISED_HOST: '127.0.0.1',
    NODE_ID: 'e2e',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...env,
  };
}

/** Runs the built service until it exits by itself (a start that must be refused); killed after `timeoutMs`. */
export function runUntilExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], { env: serviceEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, output: out });
    }),
  );
}

/** Small JSON client for the REST API. */
export function api(baseUrl: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: r.status, body: parsed };
  };
  return {
    get: (p: string) => call('GET', p),
    post: (p: string, b?: unknown) => call('POST', p, b ?? {}),
    del: (p: string) => call('DELETE', p),
    call,
  };
}
