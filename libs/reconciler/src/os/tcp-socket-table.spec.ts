import { describe, expect, it } from 'vitest';
import type { TcpSocket } from './tcp-socket';
import { TcpSocketTable } from './tcp-socket-table';

const socket = (i: number, over: Partial<TcpSocket> = {}): TcpSocket => ({
  family: i % 3 === 0 ? 6 : 4,
  localAddress: i % 2 === 0 ? '127.0.0.1' : '::',
  localPort: 20_000 + i,
  remoteAddress: `10.0.${i % 250}.1`,
  remotePort: i % 65_536,
  state: i % 2 === 0 ? 'LISTEN' : 'CLOSE_WAIT',
  retransmits: i % 7,
  uid: 1000 + (i % 3),
  inode: 4_000_000_000 + i,
  ...over,
});

describe('TcpSocketTable', () => {
  it('keeps every field of every row, past its first capacity', () => {
    const sockets = Array.from({ length: 1_000 }, (_, i) => socket(i));
    const t = TcpSocketTable.of(sockets);
    expect(t.length).toBe(1_000);
    expect(t.toArray()).toEqual(sockets);
    expect([t.localAddress(3), t.localPort(3), t.state(3), t.retransmits(3), t.inode(3)]).toEqual([
      '::',
      20_003,
      'CLOSE_WAIT',
      3,
      4_000_000_003,
    ]);
  });

  it('selects rows in order and appends another table after its own rows', () => {
    const a = TcpSocketTable.of([socket(0), socket(1), socket(2)]);
    const b = TcpSocketTable.of([socket(3, { remoteAddress: '::1' })]);
    expect(a.select((t, i) => t.state(i) === 'LISTEN').toArray()).toEqual([socket(0), socket(2)]);
    expect(a.append(b).toArray()).toEqual([socket(0), socket(1), socket(2), socket(3, { remoteAddress: '::1' })]);
    expect(new TcpSocketTable().toArray()).toEqual([]);
  });

  it('selects past its first capacity, and the selection takes new rows and addresses after it', () => {
    const sockets = Array.from({ length: 1_000 }, (_, i) => socket(i));
    const picked = TcpSocketTable.of(sockets).select((t, i) => t.localPort(i) % 3 === 0);
    const extra = socket(1_001, { localAddress: '192.0.2.7', remoteAddress: '::1' });
    picked.add(
      6,
      extra.localAddress,
      extra.localPort,
      extra.remoteAddress,
      extra.remotePort,
      extra.state,
      extra.retransmits,
      extra.uid,
      extra.inode,
    );
    expect(picked.toArray()).toEqual([...sockets.filter((s) => s.localPort % 3 === 0), { ...extra, family: 6 }]);
  });
});
