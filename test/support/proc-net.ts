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

/** Lines of /proc/net/<name> and <name>6 as columns (header dropped); a missing file is empty. */
function tableRows(name: 'tcp' | 'udp'): string[][] {
  const rows: string[][] = [];
  for (const file of [`/proc/net/${name}`, `/proc/net/${name}6`]) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 10) rows.push(cols);
    }
  }
  return rows;
}

const localPort = (cols: string[]) => parseInt(cols[1].split(':')[1], 16);

/** UDP ports bound in [from, to] (/proc/net/udp and udp6), whatever process holds them. */
export function udpBoundPorts(from: number, to: number): number[] {
  const ports = new Set<number>();
  for (const cols of tableRows('udp')) {
    const port = localPort(cols);
    if (port >= from && port <= to) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * Local ports in [from, to] of TCP connections in ESTABLISHED state (st 01) that a process
 * still holds (inode ≠ 0): on a media range, the service's side of a device connection,
 * accepted (TCP-PASSIVE) or dialled (TCP-ACTIVE).
 */
export function establishedPorts(from: number, to: number): number[] {
  const ports = new Set<number>();
  for (const cols of tableRows('tcp')) {
    const port = localPort(cols);
    if (cols[3] === '01' && cols[9] !== '0' && port >= from && port <= to) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}
