import { ProcNetScanner, scanText, type PortFilter, type ProcNetScan } from './proc-net.scanner';
import { TCP_STATES, type TcpSocket } from './tcp-socket';
import { TcpSocketTable } from './tcp-socket-table';

export type ProcNetTcpScan = ProcNetScan<TcpSocket[]>;

/**
 * /proc/net/tcp and /proc/net/tcp6: `local rem st tx:rx tr:when retrnsmt uid timeout inode ...`,
 * into a TcpSocketTable (columns, no object per socket).
 */
export class ProcNetTcpScanner extends ProcNetScanner<TcpSocketTable> {
  protected readonly store = new TcpSocketTable();

  protected decode(text: string, from: number, to: number): boolean {
    if (!this.split(text, from, to, 9) || !this.readEndpoints(text)) return false;
    // Read in place, field by field: no substring and no object.
    const st = this.hexField(text, 2);
    const retransmits = this.hexField(text, 5);
    const uid = this.decimalField(text, 6);
    const inode = this.decimalField(text, 8);
    if (!(st > 0 && st < TCP_STATES.length) || Number.isNaN(uid) || Number.isNaN(inode)) return false;
    const e = this.ends;
    this.store.add(
      this.family,
      e.localAddress,
      e.localPort,
      e.remoteAddress,
      e.remotePort,
      st,
      Number.isNaN(retransmits) ? 0 : retransmits,
      uid,
      inode,
    );
    return true;
  }
}

/** Parses a whole file's text in one go, into socket objects. */
export function parseProcNetTcp(text: string, family: 4 | 6, filter?: PortFilter, littleEndian = true): ProcNetTcpScan {
  const scan = scanText(new ProcNetTcpScanner(family, filter, littleEndian), text);
  return { ...scan, sockets: scan.sockets.toArray() };
}

export { decodeV4, decodeV6, type PortFilter } from './proc-net.scanner';
