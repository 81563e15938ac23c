import { spawn, type ChildProcess } from 'node:child_process';

export interface ForeignListener {
  pid: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** Another process (not ours) listening on a TCP port: what steals ports in the field. */
export function startForeignListener(port: number, host = '127.0.0.1'): Promise<ForeignListener> {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${port}, ${JSON.stringify(host)}, () => console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`foreign listener on ${port} exited with ${code}`)));
    child.stdout.once('data', () =>
      resolve({
        pid: child.pid!,
        child,
        kill: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      }),
    );
  });
}
