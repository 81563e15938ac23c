import { readFileSync } from 'node:fs';

/**
 * The kernel's per-socket UDP drop counters (receive buffer full, checksum errors), from the
 * last column of /proc/net/udp and /proc/net/udp6 (net/ipv4/udp.c, udp4_format_sock):
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 *    7: 00000000:7530 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 81234 2 0000000000000000 0
 *
 * Returns drops summed per local port. Lines that do not have the 13 columns are skipped.
 */
export function parseUdpDrops(text: string, into = new Map<number, number>()): Map<number, number> {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i].trim().split(/\s+/);
    if (cols.length < 13) continue;
    const colon = cols[1].lastIndexOf(':');
    const port = parseInt(cols[1].slice(colon + 1), 16);
    const drops = Number(cols[12]);
    if (!Number.isFinite(port) || !Number.isFinite(drops)) continue;
    into.set(port, (into.get(port) ?? 0) + drops);
  }
  return into;
}

/** How long one read of the tables serves: stats of many leases (a metrics scrape) read them once. */
const CACHE_MS = 1000;

/**
 * Reads the UDP tables lazily, when stats are asked, never per packet; one read serves every
 * lease for CACHE_MS. Our sockets are bound without SO_REUSEADDR, so a port at our bind host is
 * ours alone while the lease holds it.
 */
export class UdpDropReader {
  private cached: Map<number, number> | null = null;
  private readAt = 0;

  constructor(
    private readonly files: readonly string[] = ['/proc/net/udp', '/proc/net/udp6'],
    private readonly now: () => number = Date.now,
  ) {}

  /** Drops counted on these local ports; null when no table could be read. */
  dropsOn(ports: readonly number[]): number | null {
    const table = this.table();
    if (table === null) return null;
    let sum = 0;
    for (const p of ports) sum += table.get(p) ?? 0;
    return sum;
  }

  private table(): Map<number, number> | null {
    const now = this.now();
    if (this.cached !== null && now - this.readAt < CACHE_MS) return this.cached;
    let read = false;
    const table = new Map<number, number>();
    for (const file of this.files) {
      try {
        parseUdpDrops(readFileSync(file, 'utf8'), table);
        read = true;
      } catch {
        // udp6 is absent where IPv6 is off; both absent: unknown
      }
    }
    this.cached = read ? table : null;
    this.readAt = now;
    return this.cached;
  }
}

/** One reader for the process. */
export const UDP_DROPS = new UdpDropReader();
