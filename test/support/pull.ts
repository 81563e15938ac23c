import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

export const SIM = join(__dirname, '..', '..', 'dist/apps/device-sim/src/main.js');

/** A live-pull client that reads everything until the response ends (or is cut). */
export interface Pull {
  status: Promise<number>;
  /** resolves when the response ended: `complete` false when the server cut it */
  done: Promise<{ body: Buffer; complete: boolean }>;
  received(): number;
  head(): Buffer;
  /** hangs up, as a player that is closed */
  abort(): void;
}

export function pull(url: string): Pull {
  const parts: Buffer[] = [];
  let n = 0;
  let setStatus: (s: number) => void = () => undefined;
  const status = new Promise<number>((r) => (setStatus = r));
  let abort = () => undefined as void;
  const done = new Promise<{ body: Buffer; complete: boolean }>((resolve) => {
    const req = request(url, (res) => {
      setStatus(res.statusCode ?? 0);
      res.on('data', (c: Buffer) => {
        parts.push(c);
        n += c.length;
      });
      res.on('end', () => resolve({ body: Buffer.concat(parts), complete: res.complete }));
      res.on('error', () => resolve({ body: Buffer.concat(parts), complete: false }));
    });
    req.on('error', () => resolve({ body: Buffer.concat(parts), complete: false }));
    req.end();
    abort = () => void req.destroy();
  });
  return { status, done, received: () => n, head: () => Buffer.concat(parts).subarray(0, 64), abort: () => abort() };
}

/** A client that asks for the stream and then never reads: the slow client of the contract. */
export function stalledPull(host: string, port: number, path: string): { socket: Socket; closed: Promise<void> } {
  const socket = connect({ host, port });
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  socket.pause();
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, closed };
}

/** Runs the built device simulator as a real child process; resolves with its exit code and output. */
export function runSim(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SIM, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
