import { ProcNetScanner, scanText, type PortFilter, type ProcNetScan } from './proc-net.scanner';
import type { UdpSocket } from './udp-socket';

export type ProcNetUdpScan = ProcNetScan<UdpSocket>;

/** Socket states a UDP line can have: TCP_ESTABLISHED when connect()ed, TCP_CLOSE when only bound. */
const UDP_CONNECTED = 0x01;
const UDP_UNCONNECTED = 0x07;

/**
 * /proc/net/udp and /proc/net/udp6:
 * `local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ref pointer drops`
 * (the kernel's udp4_format_sock; `drops` is the socket's sk_drops counter).
 */
export class ProcNetUdpScanner extends ProcNetScanner<UdpSocket> {
  protected decode(text: string, from: number, to: number): UdpSocket | null {
    if (!this.split(text, from, to, 12)) return null;
    const local = this.endpoint(text, 0);
    const remote = this.endpoint(text, 1);
    const st = parseInt(this.field(text, 2), 16);
    const uid = Number(this.field(text, 6));
    const inode = Number(this.field(text, 8));
    const drops = Number(this.field(text, 11));
    if (!local || !remote || (st !== UDP_CONNECTED && st !== UDP_UNCONNECTED)) return null;
    if (!Number.isFinite(uid) || !Number.isFinite(inode) || !Number.isFinite(drops)) return null;
    return {
      family: this.family,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      connected: st === UDP_CONNECTED,
      uid,
      inode,
      drops,
    };
  }
}

/** Parses a whole file's text in one go. */
export function parseProcNetUdp(text: string, family: 4 | 6, filter?: PortFilter, littleEndian = true): ProcNetUdpScan {
  return scanText(new ProcNetUdpScanner(family, filter, littleEndian), text);
}
