import { readFileSync } from 'node:fs';

/** LISTEN sockets in [from, to] on one IPv4 address, from /proc/net/tcp (independent of the service's code). */
export function listeningOn(address: string, from: number, to: number): number[] {
  const hex = address
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== '0A') continue;
    const [addr, portHex] = cols[1].split(':');
    const port = parseInt(portHex, 16);
    if (addr === hex && port >= from && port <= to) ports.push(port);
  }
  return ports.sort((a, b) => a - b);
}
