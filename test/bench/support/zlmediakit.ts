import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../../support/temp-dir';

export const ZLM_SECRET = 'anchor-secret';

export interface ZlmProcess {
  pid: number;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts a ZLMediaKit MediaServer (ZLM_BIN, built from its public source) on loopback with the
 * config.ini that lies beside the binary, its placeholders filled: a private directory, the
 * given HTTP and RTP ports, and `portRange` as its RTP-server pool. It pins its threads with
 * real-time priority, so callers start it, measure, and stop it.
 */
export async function startZlm(bin: string, ports: { http: number; rtp: number; portRange: string }): Promise<ZlmProcess> {
  const dir = tempDir('zlm-bench-');
  mkdirSync(join(dir.path, 'log'), { recursive: true });
  const config = readFileSync(join(dirname(bin), 'config.ini'), 'utf8')
    .replaceAll('@DIR@', dir.path)
    .replaceAll('@HTTP_PORT@', String(ports.http))
    .replaceAll('@RTP_PORT@', String(ports.rtp))
    .replace(/^port_range=.*$/m, `port_range=${ports.portRange}`);
  const configPath = join(dir.path, 'config.ini');
  writeFileSync(configPath, config);
  const child: ChildProcess = spawn(bin, ['-c', configPath, '--log-dir', join(dir.path, 'log'), '-l', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const baseUrl = `http://127.0.0.1:${ports.http}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`${baseUrl}/index/api/getServerConfig?secret=${ZLM_SECRET}`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      dir.cleanup();
      throw new Error(`MediaServer did not come up on ${baseUrl}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid as number,
    baseUrl,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
      dir.cleanup();
    },
  };
}
