import { ProcNetScanner, scanText, type PortFilter, type ProcNetScan } from './proc-net.scanner';
import { TCP_STATES, type TcpSocket } from './tcp-socket';

export type ProcNetTcpScan = ProcNetScan<TcpSocket>;

/** /proc/net/tcp and /proc/net/tcp6: `local rem st tx:rx tr:when retrnsmt uid timeout inode ...` */
export class ProcNetTcpScanner extends ProcNetScanner<TcpSocket> {
  protected decode(text: string, from: number, to: number): TcpSocket | null {
    if (!this.split(text, from, to, 9) || !this.readEndpoints(text)) return null;
    // Read in place, field by field: no substring and no object but the socket itself.
    const st = this.hexField(text, 2);
    const retransmits = this.hexField(text, 5);
    const uid = this.decimalField(text, 6);
    const inode = this.decimalField(text, 8);
    if (!(st > 0 && st < TCP_STATES.length) || Number.isNaN(uid) || Number.isNaN(inode)) return null;
    // One literal with every field (no spread): thousands of these per pass share one shape.
    return {
      family: this.family,
      localAddress: this.ends.localAddress,
      localPort: this.ends.localPort,
      remoteAddress: this.ends.remoteAddress,
      remotePort: this.ends.remotePort,
      state: TCP_STATES[st],
      retransmits: Number.isNaN(retransmits) ? 0 : retransmits,
      uid,
      inode,
    };
  }
}

/** Parses a whole file's text in one go. */
export function parseProcNetTcp(text: string, family: 4 | 6, filter?: PortFilter, littleEndian = true): ProcNetTcpScan {
  return scanText(new ProcNetTcpScanner(family, filter, littleEndian), text);
}

export { decodeV4, decodeV6, type PortFilter } from './proc-net.scanner';
