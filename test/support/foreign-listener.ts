import { spawn, type ChildProcess } from 'node:child_process';

export interface ForeignListener {
  pid: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** Another process (not ours) listening on a TCP port: what steals ports in the field. */
export function startForeignListener(port: number, host = '127.0.0.1'): Promise<ForeignListener> {
  return startForeign(port, `require('net').createServer().listen(${port}, ${JSON.stringify(host)}, () => console.log('ready'))`);
}

/** Another process (not ours) with a UDP socket bound on a port: a UDP half left bound by someone else. */
export function startForeignUdpSocket(port: number, host = '127.0.0.1'): Promise<ForeignListener> {
  return startForeign(port, `require('dgram').createSocket('udp4').bind(${port}, ${JSON.stringify(host)}, () => console.log('ready'))`);
}

function startForeign(port: number, script: string): Promise<ForeignListener> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`foreign process on ${port} exited with ${code}`)));
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
