import { FROM_IPV6, interfaceName, type ReceiveArea } from '@app/udp-batch';
import { isIPv4 } from 'node:net';
import { normalizeAddress } from './peer-address';

/**
 * The source of datagram i of the current batch as text, spelled as normalizeAddress spells a
 * peer ("192.0.2.10", "2001:db8::1", "fe80::1%eth0"). For events and stats only (latching,
 * rejections): the per-datagram checks compare integers (UdpPeer).
 */
export function sourceAddress(area: ReceiveArea, i: number): string {
  if ((area.flags[i] & FROM_IPV6) === 0) return ipv4Text(area.ipv4[i]);
  const w = area.ipv6;
  const groups: string[] = [];
  for (let k = 4 * i; k < 4 * i + 4; k++) groups.push((w[k] >>> 16).toString(16), (w[k] & 0xffff).toString(16));
  const scope = area.scopes[i];
  return normalizeAddress(groups.join(':') + (scope === 0 ? '' : `%${interfaceName(scope) ?? scope}`));
}

/** "address:port" of datagram i, as a TCP peer is shown. */
export function sourceText(area: ReceiveArea, i: number): string {
  return `${sourceAddress(area, i)}:${area.ports[i]}`;
}

function ipv4Text(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** An IPv4 address as the receive area holds it (host order), or -1 for anything else. */
function ipv4Number(address: string): number {
  if (!isIPv4(address)) return -1;
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/**
 * A source address (and port) to compare datagrams against as integers, taken from a datagram
 * (the latched peer) or from a lease's `peerAddress`: no string is built per datagram.
 */
export class UdpPeer {
  private ipv6 = false;
  private v4 = -1;
  private readonly v6 = new Uint32Array(4);
  private scope = 0;
  /** peerAddress given as IPv6: compared as normalized text (only before latching; rare) */
  private text: string | null = null;

  private constructor(readonly port: number) {}

  /** The source of datagram i (address and port). */
  static of(area: ReceiveArea, i: number): UdpPeer {
    const peer = new UdpPeer(area.ports[i]);
    if ((area.flags[i] & FROM_IPV6) === 0) {
      peer.v4 = area.ipv4[i];
    } else {
      peer.ipv6 = true;
      peer.v6.set(area.ipv6.subarray(4 * i, 4 * i + 4));
      peer.scope = area.scopes[i];
    }
    return peer;
  }

  /** A lease's peerAddress (normalized; any port). */
  static address(normalized: string): UdpPeer {
    const peer = new UdpPeer(0);
    peer.v4 = ipv4Number(normalized);
    if (peer.v4 < 0) peer.text = normalized;
    return peer;
  }

  /** Datagram i comes from this address and port. */
  is(area: ReceiveArea, i: number): boolean {
    return area.ports[i] === this.port && this.hasAddressOf(area, i);
  }

  /** Datagram i comes from this address (any port). */
  hasAddressOf(area: ReceiveArea, i: number): boolean {
    if ((area.flags[i] & FROM_IPV6) === 0) return !this.ipv6 && area.ipv4[i] === this.v4;
    if (this.text !== null) return sourceAddress(area, i) === this.text;
    const w = area.ipv6;
    const k = 4 * i;
    const v6 = this.v6;
    return this.ipv6 && w[k] === v6[0] && w[k + 1] === v6[1] && w[k + 2] === v6[2] && w[k + 3] === v6[3] && area.scopes[i] === this.scope;
  }
}
