import { isIPv4, isIPv6 } from 'node:net';

const V4_MAPPED_DOTTED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;
const V4_MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * One spelling per address, so a lease's `peerAddress` and a socket's `remoteAddress` compare
 * as strings: IPv6 lower-case and compressed (RFC 5952, via the WHATWG URL serialiser, which
 * implements it), and an IPv4-mapped IPv6 address ("::ffff:192.0.2.10", what a dual-stack
 * listener reports for an IPv4 peer) as its IPv4 address. Anything that is not an IP address is
 * returned as it came, for the caller's validation to reject.
 */
export function normalizeAddress(address: string): string {
  if (isIPv4(address)) return address;
  // Node's own remoteAddress is already canonical: skip the URL round trip for it.
  const mapped = V4_MAPPED_DOTTED.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(address)) return address;
  const zoneAt = address.indexOf('%');
  const zone = zoneAt < 0 ? '' : address.slice(zoneAt).toLowerCase();
  const bare = zoneAt < 0 ? address : address.slice(0, zoneAt);
  const compressed = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const hex = V4_MAPPED_HEX.exec(compressed);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return compressed + zone;
}
