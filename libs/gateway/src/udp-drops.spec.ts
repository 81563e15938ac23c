import { describe, expect, it } from 'vitest';
import { parseUdpDrops, UdpDropReader } from './udp-drops';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Lines as Linux 6.x prints them (net/ipv4/udp.c udp4_format_sock, net/ipv6/datagram.c for udp6).
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 00000000:2710 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 81234 2 0000000000000000 17
  124: 0100007F:2711 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 81235 2 0000000000000000 0
  125: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 1111 2 0000000000000000 5
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   40: 00000000000000000000000000000000:2710 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 91234 2 0000000000000000 3
   41: torn line
`;

describe('parseUdpDrops', () => {
  it('sums the drops column per local port over the IPv4 and IPv6 tables, skipping torn lines', () => {
    const drops = parseUdpDrops(UDP6, parseUdpDrops(UDP));
    expect([...drops]).toEqual([
      [10000, 20],
      [10001, 0],
      [53, 5],
    ]);
  });
});

describe('UdpDropReader', () => {
  it('answers for the given ports, reads the tables at most once a second, and says null when none can be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'udp-drops-'));
    const file = join(dir, 'udp');
    writeFileSync(file, UDP);
    let now = 0;
    const reader = new UdpDropReader([file, join(dir, 'absent')], () => now);
    expect(reader.dropsOn([10000, 10001])).toBe(17);
    writeFileSync(file, UDP.replace(/ 17\n/, ' 18\n'));
    expect(reader.dropsOn([10000])).toBe(17);
    now = 1000;
    expect(reader.dropsOn([10000])).toBe(18);
    expect(new UdpDropReader([join(dir, 'absent')]).dropsOn([10000])).toBeNull();
  });
});
