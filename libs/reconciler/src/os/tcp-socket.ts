/** TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h). */
export const TCP_STATES = [
  'UNKNOWN',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
] as const;
export type TcpState = (typeof TCP_STATES)[number];

/** One line of /proc/net/tcp or /proc/net/tcp6, decoded. */
export interface TcpSocket {
  family: 4 | 6;
  /** dotted IPv4, or IPv6 in its short form; v4-mapped stays `::ffff:a.b.c.d` */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: TcpState;
  /** unanswered retransmissions (or zero-window probes): a dead peer keeps counting up */
  retransmits: number;
  /** owner's uid, known even when its /proc/<pid>/fd cannot be read */
  uid: number;
  /** 0 for sockets no process holds any more (TIME_WAIT, orphans being torn down) */
  inode: number;
}

/** Is this address the wildcard of its family? */
export function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '::ffff:0.0.0.0';
}

/** `::ffff:a.b.c.d` → `a.b.c.d`; anything else unchanged. */
export function unmapV4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const isV4 = (a: string) => /^\d+\.\d+\.\d+\.\d+$/.test(a);

/**
 * Would a socket bound to `localAddress` stop us from listening on the same port at `bindHost`
 * (MEDIA_BIND_HOST)? Wildcards on either side conflict; two different specific addresses do not
 * (several nodes may share one host on 127.0.0.1, .2 and .3).
 */
export function conflictsWithBindHost(localAddress: string, bindHost: string): boolean {
  const ours = bindHost === 'localhost' ? ['127.0.0.1', '::1'] : [unmapV4(bindHost)];
  const theirs = unmapV4(localAddress);
  if (localAddress === '::') return true;
  if (theirs === '0.0.0.0') return ours.some((a) => isV4(a) || isUnspecified(a));
  if (bindHost === '::') return true;
  if (bindHost === '0.0.0.0') return isV4(theirs);
  return ours.includes(theirs);
}
