import { readFileSync } from 'node:fs';

/**
 * The OS's own view, for assertions: TCP ports in LISTEN state (st 0A) from /proc/net/tcp and
 * /proc/net/tcp6, whatever process holds them. Deliberately independent of the service's code.
 */
export function listeningPorts(from: number, to: number): number[] {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const port = parseInt(cols[1].split(':')[1], 16);
      if (port >= from && port <= to) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}
