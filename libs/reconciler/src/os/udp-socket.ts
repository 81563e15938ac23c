import type { SocketEndpoints } from './proc-net.scanner';

/** One line of /proc/net/udp or /proc/net/udp6, decoded. The remote end is the wildcard and port 0 while unconnected (a media socket latches its peer in user space). */
export interface UdpSocket extends SocketEndpoints {
  /** connect()ed to one peer (st 01), else bound only (st 07) */
  connected: boolean;
  uid: number;
  /** 0 for sockets no process holds any more */
  inode: number;
  /** datagrams the kernel dropped for this socket (receive buffer full, checksum, ...) */
  drops: number;
}
