import { ProcNetScanner, scanText, type PortFilter, type ProcNetScan } from './proc-net.scanner';
import type { UdpSocket } from './udp-socket';

export type ProcNetUdpScan = ProcNetScan<UdpSocket[]>;

/** Socket states a UDP line can have: TCP_ESTABLISHED when connect()ed, TCP_CLOSE when only bound. */
const UDP_CONNECTED = 0x01;
const UDP_UNCONNECTED = 0x07;

/**
 * /proc/net/udp and /proc/net/udp6:
 * `local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ref pointer drops`
 * (the kernel's udp4_format_sock; `drops` is the socket's sk_drops counter).
 */
export class ProcNetUdpScanner extends ProcNetScanner<UdpSocket[]> {
  protected readonly store: UdpSocket[] = [];

  protected decode(text: string, from: number, to: number): boolean {
    if (!this.split(text, from, to, 12) || !this.readEndpoints(text)) return false;
    const st = this.hexField(text, 2);
    const uid = this.decimalField(text, 6);
    const inode = this.decimalField(text, 8);
    const drops = this.decimalField(text, 11);
    if ((st !== UDP_CONNECTED && st !== UDP_UNCONNECTED) || Number.isNaN(uid) || Number.isNaN(inode) || Number.isNaN(drops)) return false;
    this.store.push({
      family: this.family,
      localAddress: this.ends.localAddress,
      localPort: this.ends.localPort,
      remoteAddress: this.ends.remoteAddress,
      remotePort: this.ends.remotePort,
      connected: st === UDP_CONNECTED,
      uid,
      inode,
      drops,
    });
    return true;
  }
}

/** Parses a whole file's text in one go. */
export function parseProcNetUdp(text: string, family: 4 | 6, filter?: PortFilter, littleEndian = true): ProcNetUdpScan {
  return scanText(new ProcNetUdpScanner(family, filter, littleEndian), text);
}
