import { ProcNetScanner, scanText, type PortFilter, type ProcNetScan } from './proc-net.scanner';
import { TCP_STATES, type TcpSocket } from './tcp-socket';

export type ProcNetTcpScan = ProcNetScan<TcpSocket>;

/** /proc/net/tcp and /proc/net/tcp6: `local rem st tx:rx tr:when retrnsmt uid timeout inode ...` */
export class ProcNetTcpScanner extends ProcNetScanner<TcpSocket> {
  protected decode(text: string, from: number, to: number): TcpSocket | null {
    if (!this.split(text, from, to, 9)) return null;
    const local = this.endpoint(text, 0);
    const remote = this.endpoint(text, 1);
    const st = parseInt(this.field(text, 2), 16);
    const retransmits = parseInt(this.field(text, 5), 16);
    const uid = Number(this.field(text, 6));
    const inode = Number(this.field(text, 8));
    if (!local || !remote || !(st > 0 && st < TCP_STATES.length) || !Number.isFinite(uid) || !Number.isFinite(inode)) return null;
    // One literal with every field (no spread): thousands of these per pass share one shape.
    return {
      family: this.family,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
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
