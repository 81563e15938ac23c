import { describe, expect, it } from 'vitest';
import { parseProcNetUdp, ProcNetUdpScanner } from './proc-net-udp.parser';

// Captured on this project's build machine: 127.0.0.1:21500 bound and never read (it dropped
// 308 datagrams of a burst), 127.0.0.1:21504 connect()ed to it, [::]:21502 bound.
const UDP4 = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
 3590: 0100007F:53FC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 160241 2 000000005ca5e90f 308      
 3594: 0100007F:5400 0100007F:53FC 01 00000000:00000000 00:00000000 00000000     0        0 160243 2 00000000c50aca9e 0        
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 3592: 00000000000000000000000000000000:53FE 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 160242 2 00000000ab8785be 0
`;

describe('the /proc/net/udp scanner', () => {
  it('reads bound and connected sockets with their inode and kernel drop count', () => {
    const scan = parseProcNetUdp(UDP4, 4);
    expect(scan).toMatchObject({ lines: 2, malformed: 0, sawHeader: true });
    expect(scan.sockets).toEqual([
      {
        family: 4,
        localAddress: '127.0.0.1',
        localPort: 21500,
        remoteAddress: '0.0.0.0',
        remotePort: 0,
        connected: false,
        uid: 0,
        inode: 160241,
        drops: 308,
      },
      {
        family: 4,
        localAddress: '127.0.0.1',
        localPort: 21504,
        remoteAddress: '127.0.0.1',
        remotePort: 21500,
        connected: true,
        uid: 0,
        inode: 160243,
        drops: 0,
      },
    ]);
  });

  it('reads udp6 and keeps only local ports in the range', () => {
    expect(parseProcNetUdp(UDP6, 6).sockets).toEqual([expect.objectContaining({ localAddress: '::', localPort: 21502, inode: 160242 })]);
    expect(parseProcNetUdp(UDP4, 4, { start: 21501, end: 21510 }).sockets.map((s) => s.localPort)).toEqual([21504]);
  });

  it('takes the text in any chunks', () => {
    const s = new ProcNetUdpScanner(4);
    for (let i = 0; i < UDP4.length; i += 7) s.push(UDP4.slice(i, i + 7));
    expect(s.end().sockets.map((x) => x.drops)).toEqual([308, 0]);
  });

  it('counts a torn line (no drops column) as malformed instead of guessing', () => {
    const torn = UDP4.split('\n')
      .slice(0, 2)
      .join('\n')
      .replace(/ 308\s*$/, '');
    expect(parseProcNetUdp(torn, 4)).toMatchObject({ sockets: [], malformed: 1 });
  });
});
