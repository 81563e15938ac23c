import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeV4, decodeV6, parseProcNetTcp, ProcNetTcpScanner } from './proc-net-tcp.parser';
import { conflictsWithBindHost } from './tcp-socket';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test/fixtures/proc', name), 'utf8');
const KNOWN = { start: 24000, end: 24009 };

describe('the /proc/net/tcp parser', () => {
  it('reads the IPv4 listeners captured on this machine, little-endian hex decoded', () => {
    const scan = parseProcNetTcp(fixture('real-tcp.txt'), 4, KNOWN);
    const listeners = scan.sockets.filter((s) => s.state === 'LISTEN').map((s) => `${s.localAddress}:${s.localPort}`);
    expect(listeners).toEqual(['127.0.0.1:24000', '0.0.0.0:24002']);
    expect(scan.sawHeader).toBe(true);
    expect(scan.malformed).toBe(0);
    expect(scan.lines).toBe(112);
  });

  it('keeps only sockets whose local port is in the range while scanning', () => {
    const scan = parseProcNetTcp(fixture('real-tcp.txt'), 4, KNOWN);
    expect(scan.sockets.every((s) => s.localPort >= 24000 && s.localPort <= 24009)).toBe(true);
    // client ends of connections *to* the range have ephemeral local ports: not kept
    expect(scan.sockets.some((s) => s.remotePort === 24006)).toBe(false);
  });

  it('reads the CLOSE_WAIT left by a peer that sent FIN, with its inode and remote end', () => {
    const scan = parseProcNetTcp(fixture('real-tcp.txt'), 4, KNOWN);
    const cw = scan.sockets.find((s) => s.state === 'CLOSE_WAIT');
    expect(cw).toMatchObject({ localAddress: '127.0.0.1', localPort: 24000, remoteAddress: '127.0.0.1', inode: 283724, uid: 0 });
  });

  it('reads IPv6 listeners and v4-mapped connections from the captured tcp6', () => {
    const scan = parseProcNetTcp(fixture('real-tcp6.txt'), 6, KNOWN);
    const byPort = scan.sockets.map((s) => `${s.state} [${s.localAddress}]:${s.localPort}`);
    expect(byPort).toEqual(['LISTEN [::1]:24004', 'LISTEN [::]:24006', 'LISTEN [::]:24008', 'ESTABLISHED [::ffff:127.0.0.1]:24006']);
    expect(scan.sockets[3].remoteAddress).toBe('::ffff:127.0.0.1');
  });

  it('decodes global, link-local and v4-mapped IPv6, retransmissions and uid from hand-made lines', () => {
    const scan = parseProcNetTcp(fixture('hand-made-tcp6.txt'), 6, KNOWN);
    expect(scan.sockets.map((s) => s.localAddress)).toEqual(['2001:db8::1', '::ffff:127.0.0.2', 'fe80::1', '::ffff:127.0.0.1']);
    expect(scan.sockets[0]).toMatchObject({ uid: 1000, inode: 3001, state: 'LISTEN' });
    expect(scan.sockets[3]).toMatchObject({ remoteAddress: '::ffff:192.0.2.10', remotePort: 54321, retransmits: 7, state: 'ESTABLISHED' });
    expect(scan.lines).toBe(5);
  });

  it('returns no sockets and no complaint for a file with only the header', () => {
    for (const [file, family] of [
      ['header-only-tcp.txt', 4],
      ['header-only-tcp6.txt', 6],
    ] as const) {
      const scan = parseProcNetTcp(fixture(file), family);
      expect(scan).toEqual({ sockets: [], lines: 0, malformed: 0, sawHeader: true });
    }
  });

  it('reads a last line that has no newline', () => {
    const text = fixture('no-trailing-newline-tcp.txt');
    expect(text.endsWith('\n')).toBe(false);
    const scan = parseProcNetTcp(text, 4, KNOWN);
    expect(scan.sockets.map((s) => [s.localAddress, s.localPort, s.inode])).toEqual([
      ['127.0.0.1', 24000, 1111],
      ['127.0.0.2', 24002, 2222],
    ]);
  });

  it('gives the same result however the text is cut into chunks', () => {
    const text = fixture('real-tcp.txt');
    const whole = parseProcNetTcp(text, 4, KNOWN);
    for (const size of [1, 7, 150, 4096]) {
      const s = new ProcNetTcpScanner(4, KNOWN);
      for (let i = 0; i < text.length; i += size) s.push(text.slice(i, i + size));
      const scan = s.end();
      expect({ ...scan, sockets: scan.sockets.toArray() }).toEqual(whole);
    }
  });

  it('counts torn and foreign lines as malformed, and an empty file has no header', () => {
    expect(parseProcNetTcp(fixture('torn-tcp.txt'), 4, KNOWN)).toMatchObject({ lines: 2, malformed: 2, sawHeader: true });
    expect(parseProcNetTcp(fixture('empty.txt'), 4)).toEqual({ sockets: [], lines: 0, malformed: 0, sawHeader: false });
  });

  it('decodes addresses on big-endian hosts too', () => {
    expect(decodeV4('7F000001', false)).toBe('127.0.0.1');
    expect(decodeV4('0100007F')).toBe('127.0.0.1');
    expect(decodeV6('20010DB8000000000000000000000001', false)).toBe('2001:db8::1');
    expect(decodeV6('00000000000000000000000000000000')).toBe('::');
  });
});

describe('which sockets stand in the way of our bind host', () => {
  it('counts wildcards on either side as a conflict', () => {
    expect(conflictsWithBindHost('0.0.0.0', '127.0.0.1')).toBe(true);
    expect(conflictsWithBindHost('::', '127.0.0.2')).toBe(true);
    expect(conflictsWithBindHost('127.0.0.3', '0.0.0.0')).toBe(true);
    expect(conflictsWithBindHost('::1', '::')).toBe(true);
  });

  it('does not count another specific address (nodes on 127.0.0.1/.2/.3 share a host)', () => {
    expect(conflictsWithBindHost('127.0.0.2', '127.0.0.1')).toBe(false);
    expect(conflictsWithBindHost('::1', '127.0.0.1')).toBe(false);
    expect(conflictsWithBindHost('::1', '0.0.0.0')).toBe(false);
  });

  it('matches the same address written v4-mapped', () => {
    expect(conflictsWithBindHost('::ffff:127.0.0.1', '127.0.0.1')).toBe(true);
    expect(conflictsWithBindHost('::ffff:127.0.0.2', '127.0.0.1')).toBe(false);
    expect(conflictsWithBindHost('127.0.0.1', 'localhost')).toBe(true);
  });
});
