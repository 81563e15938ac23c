import { readFileSync } from 'node:fs';

/**
 * The OS's own view, for assertions: TCP ports in LISTEN state (st 0A) from /proc/net/tcp and
 * /proc/net/tcp6, whatever process holds them. Deliberately independent of the service's code.
 */
export function listeningPorts(from: number, to: number): number[] {
  const ports = new Set<number>();
  for (const cols of tcpRows()) {
    if (cols[3] !== '0A') continue;
    const port = parseInt(cols[1].split(':')[1], 16);
    if (port >= from && port <= to) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** The socket rows of /proc/net/tcp and /proc/net/tcp6, split into columns (sl, local, remote, st, ...). */
function tcpRows(): string[][] {
  const rows: string[][] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 4) rows.push(cols);
    }
  }
  return rows;
}

/** TCP states of /proc/net/tcp* (include/net/tcp_states.h) a live connection can be in, by code. */
const LIVE_TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '08': 'CLOSE_WAIT',
};

/**
 * The OS's own view of outgoing connections: local ports of TCP sockets whose remote port is
 * `remotePort` and that are still live (not TIME_WAIT or closed), from /proc/net/tcp and tcp6.
 */
export function liveConnectionsTo(remotePort: number): { localPort: number; state: string }[] {
  const found: { localPort: number; state: string }[] = [];
  for (const cols of tcpRows()) {
    if (!(cols[3] in LIVE_TCP_STATES) || parseInt(cols[2].split(':')[1], 16) !== remotePort) continue;
    found.push({ localPort: parseInt(cols[1].split(':')[1], 16), state: LIVE_TCP_STATES[cols[3]] });
  }
  return found;
}
