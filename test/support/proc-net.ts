import { readFileSync } from 'node:fs';

/**
 * The OS's own view, for assertions: TCP ports in LISTEN state (st 0A) from /proc/net/tcp and
 * /proc/net/tcp6, whatever process holds them. Deliberately independent of the service's code.
 */
export function listeningPorts(from: number, to: number): number[] {
  const ports = new Set<number>();
  for (const cols of rows(['/proc/net/tcp', '/proc/net/tcp6'])) {
    if (cols[3] !== '0A') continue;
    const port = portOf(cols[1]);
    if (port >= from && port <= to) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** Lines of the given /proc/net tables, split into columns (header dropped, missing files skipped). */
function rows(files: string[]): string[][] {
  const out: string[][] = [];
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 4) out.push(cols);
    }
  }
  return out;
}

const portOf = (address: string) => parseInt(address.split(':')[1], 16);

/** UDP ports with a socket bound in [from, to], from /proc/net/udp and /proc/net/udp6, whatever process holds them. */
export function boundUdpPorts(from: number, to: number): number[] {
  const ports = new Set<number>();
  for (const cols of rows(['/proc/net/udp', '/proc/net/udp6'])) {
    const port = portOf(cols[1]);
    if (port >= from && port <= to) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** TCP state names by the hex code /proc/net/tcp uses (include/net/tcp_states.h). */
const TCP_STATE: Record<string, string> = { '01': 'ESTABLISHED', '02': 'SYN_SENT', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN' };

/** TCP sockets whose LOCAL port is `port`: their state (ESTABLISHED, TIME_WAIT …) and remote port. */
export function tcpSocketsOn(port: number): { state: string; remotePort: number }[] {
  return rows(['/proc/net/tcp', '/proc/net/tcp6'])
    .filter((cols) => portOf(cols[1]) === port)
    .map((cols) => ({ state: TCP_STATE[cols[3]] ?? cols[3], remotePort: portOf(cols[2]) }));
}

/**
 * Local ports in [from, to] of TCP connections in ESTABLISHED state that a process still holds
 * (inode ≠ 0): on a media range, the service's side of a device connection, accepted
 * (TCP-PASSIVE) or dialled (TCP-ACTIVE).
 */
export function establishedPorts(from: number, to: number): number[] {
  const ports = new Set<number>();
  for (const cols of rows(['/proc/net/tcp', '/proc/net/tcp6'])) {
    const port = portOf(cols[1]);
    if (cols[3] === '01' && cols.length >= 10 && cols[9] !== '0' && port >= from && port <= to) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
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
  for (const cols of rows(['/proc/net/tcp', '/proc/net/tcp6'])) {
    if (!(cols[3] in LIVE_TCP_STATES) || portOf(cols[2]) !== remotePort) continue;
    found.push({ localPort: portOf(cols[1]), state: LIVE_TCP_STATES[cols[3]] });
  }
  return found;
}
