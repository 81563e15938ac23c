import { listeningPairView } from '@app/gateway';
import type { QuarantineEntry } from '@app/leasing';
import { describe, expect, it } from 'vitest';
import { lease, listener, NOW, osView, SOCKETS, UDP_SOCKETS, views } from '../../../../test/fixtures/proc/captured-views';
import type { GatewayListenerView } from '@app/gateway';
import type { TcpSocket } from '../os/tcp-socket';
import { compareViews, comparisonSteps, SOCKETS_PER_STEP } from './compare-views';

/** The foreign occupants of 24000-24009 in the captured tables: one per pair, its listener. */
const CAPTURED_FOREIGN = [24000, 24002, 24004, 24006, 24008].map((port) => [port, 'LISTEN']);

describe('comparing the ledger, the gateway and the OS', () => {
  it('sees every foreign socket in the range once per pair, the listener first', () => {
    const found = compareViews(views()).filter((o) => o.kind === 'foreign-occupant');
    expect(found.map((o) => [o.port, o.detail.state])).toEqual(CAPTURED_FOREIGN);
  });

  it('reports our own CLOSE_WAIT as a stuck connection of the lease that holds the port', () => {
    const found = compareViews(
      views({
        own: (s) => s.localPort === 24000,
        leases: [lease('L1', 24000)],
        gateway: [
          {
            leaseId: 'L1',
            rtpPort: 24000,
            rtcpPort: 24001,
            transport: 'tcp-passive',
            listening: true,
            connected: true,
            sockets: listeningPairView(24000, 24001),
          },
        ],
      }),
    );
    expect(found.filter((o) => o.kind === 'stuck-connection').map((o) => [o.port, o.leaseId, o.detail.state, o.key])).toEqual([
      [24000, 'L1', 'CLOSE_WAIT', 'stuck:283724'],
    ]);
    expect(found.some((o) => o.kind === 'orphan-listener')).toBe(false);
  });

  it('calls our own listener that the gateway does not know an orphan held by the process', () => {
    const found = compareViews(views({ own: (s) => s.localPort === 24002 })).filter((o) => o.kind === 'orphan-listener');
    expect(found).toEqual([
      expect.objectContaining({ port: 24002, leaseId: null, fromOs: true, detail: expect.objectContaining({ holder: 'process' }) }),
    ]);
  });

  it('clears a quarantine only when nothing but TIME_WAIT remains on the pair', () => {
    const q = (rtpPort: number): QuarantineEntry => ({
      nodeId: 'n',
      rtpPort,
      rtcpPort: rtpPort + 1,
      port: rtpPort,
      reason: 'bind-failed: EADDRINUSE',
      owner: { pid: 1, command: 'x', uid: 0 },
      since: NOW - 1000,
    });
    const timeWait: TcpSocket = { ...SOCKETS[1], state: 'TIME_WAIT', inode: 0, remotePort: 40000 };
    const free = [...SOCKETS.filter((s) => s.localPort !== 24002), timeWait];
    const found = compareViews(views({ quarantine: [q(24002)], os: osView(free, [], () => false) }));
    expect(found.filter((o) => o.kind === 'quarantine-cleared').map((o) => o.port)).toEqual([24002]);
    const held = compareViews(views({ quarantine: [q(24002)] }));
    expect(held.some((o) => o.kind === 'quarantine-cleared')).toBe(false);
    // attributed already: no new foreign-occupant finding for that pair
    expect(held.filter((o) => o.kind === 'foreign-occupant').map((o) => o.port)).not.toContain(24002);
  });

  it('expires overdue leases at once, and leaves young rows alone', () => {
    const found = compareViews(
      views({
        os: null,
        leases: [
          lease('old', 24000, { expiresAt: NOW - 1 }),
          lease('young', 24002, { createdAt: NOW - 500, state: 'reserved' }),
          lease('lost', 24004),
        ],
      }),
    );
    expect(found.map((o) => [o.kind, o.leaseId, o.key])).toEqual([
      ['overdue-lease', 'old', null],
      ['ghost-lease', 'lost', 'ghost:lost'],
    ]);
  });

  it('lists only ledger and gateway differences when there is no OS view', () => {
    const found = compareViews(
      views({
        os: null,
        gateway: [
          {
            leaseId: 'gone',
            rtpPort: 24006,
            rtcpPort: 24007,
            transport: 'tcp-passive',
            listening: true,
            connected: false,
            sockets: listeningPairView(24006, 24007),
          },
        ],
      }),
    );
    expect(found.map((o) => [o.kind, o.leaseId, o.fromOs])).toEqual([['orphan-listener', 'gone', false]]);
  });

  it('counts a forward connection its lease session owns as the lease socket, and calls any other an orphan', () => {
    const forward = { leaseId: 'L1', to: 'tcp://127.0.0.1:10000', state: 'up' as const, localPort: 41000 };
    const found = compareViews(
      views({
        os: null,
        leases: [lease('L1', 24000)],
        forwards: [
          { ...forward, owned: true },
          { ...forward, localPort: 41002, owned: false },
        ],
      }),
    );
    expect(found.map((o) => [o.kind, o.leaseId, o.port, o.detail])).toEqual([
      ['ghost-lease', 'L1', 24000, expect.anything()],
      ['orphan-forward', 'L1', 41002, { to: 'tcp://127.0.0.1:10000', state: 'up', leaseActive: true }],
    ]);
  });
});

describe('comparing per transport: what a UDP or TCP-ACTIVE lease must hold in the OS', () => {
  const udpLease = (over: Partial<GatewayListenerView['sockets']> = {}): GatewayListenerView => ({
    leaseId: 'U1',
    rtpPort: 24000,
    rtcpPort: 24001,
    transport: 'udp',
    listening: true,
    connected: false,
    sockets: { transport: 'udp', tcpListening: [], udpBound: [24000, 24001], tcpConnections: [], dialling: false, ...over },
  });
  // Only the UDP tables: the captured TCP sockets on the same ports are another story (above).
  const udpOnly = (own: (port: number) => boolean, udp = UDP_SOCKETS) =>
    views({ os: osView([], udp, (s) => own(s.localPort)), leases: [lease('U1', 24000)], gateway: [udpLease()] });
  const kinds = (found: ReturnType<typeof compareViews>) => found.map((o) => [o.kind, o.port, o.detail.protocol ?? null]);

  it('finds nothing wrong with a UDP lease whose two sockets are bound in the OS', () => {
    const found = compareViews(
      udpOnly(
        (p) => p === 24000 || p === 24001,
        UDP_SOCKETS.filter((s) => s.localPort <= 24001),
      ),
    );
    expect(found).toEqual([]);
  });

  it('calls a UDP lease whose sockets are not in the OS tables a ghost, naming the missing ports', () => {
    const found = compareViews(udpOnly(() => false, []));
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'ghost-lease',
        leaseId: 'U1',
        detail: expect.objectContaining({ listener: 'not-in-os', missingPorts: [24000, 24001], transport: 'udp' }),
      }),
    ]);
  });

  it('calls our own UDP socket that no lease of the gateway holds an orphan (a UDP half left bound)', () => {
    const found = compareViews(
      udpOnly(
        (p) => p <= 24001 || p === 24004,
        UDP_SOCKETS.filter((s) => s.localPort <= 24004),
      ),
    );
    expect(kinds(found)).toEqual([['orphan-listener', 24004, 'udp']]);
    expect(found[0]).toMatchObject({ leaseId: null, fromOs: true, detail: { holder: 'process', address: '0.0.0.0:24004' } });
  });

  it('names another process bound on a UDP port of the range a foreign occupant of its pair', () => {
    const found = compareViews(udpOnly((p) => p <= 24001));
    expect(kinds(found.filter((o) => o.kind === 'foreign-occupant')).sort()).toEqual([
      ['foreign-occupant', 24004, 'udp'],
      ['foreign-occupant', 24006, 'udp'],
      ['foreign-occupant', 24008, 'udp'],
    ]);
    const connected = found.find((o) => o.kind === 'foreign-occupant' && o.port === 24008);
    expect(connected?.detail).toMatchObject({ state: 'ESTABLISHED', address: '127.0.0.1:24008' });
  });

  it('keeps a quarantine while a UDP socket holds the pair, and clears it once none does', () => {
    const q: QuarantineEntry = {
      nodeId: 'n1',
      rtpPort: 24004,
      rtcpPort: 24005,
      port: 24004,
      reason: 'bind-failed: EADDRINUSE',
      owner: { pid: 1, command: 'x', uid: 0 },
      since: NOW,
    };
    const held = views({ quarantine: [q], os: osView([], UDP_SOCKETS, () => false) });
    expect(compareViews(held).some((o) => o.kind === 'quarantine-cleared')).toBe(false);
    const gone = views({
      quarantine: [q],
      os: osView(
        [],
        UDP_SOCKETS.filter((s) => s.localPort !== 24004),
        () => false,
      ),
    });
    expect(
      compareViews(gone)
        .filter((o) => o.kind === 'quarantine-cleared')
        .map((o) => o.port),
    ).toEqual([24004]);
  });

  it('holds a TCP-ACTIVE lease to no socket: before its connect call it has none', () => {
    const active: GatewayListenerView = {
      leaseId: 'A1',
      rtpPort: 24000,
      rtcpPort: 24001,
      transport: 'tcp-active',
      listening: true,
      connected: false,
      sockets: { transport: 'tcp-active', tcpListening: [], udpBound: [], tcpConnections: [], dialling: false },
    };
    const found = compareViews(views({ os: osView([], [], () => false), leases: [lease('A1', 24000)], gateway: [active] }));
    expect(found).toEqual([]);
  });

  it('matches a lease and its gateway entry by id even when they sit at different ports', () => {
    // L1 and L2 swapped ports in the gateway; L3 is the gateway's alone, L4 the ledger's alone.
    const found = compareViews(
      views({
        os: null,
        leases: [lease('L1', 24000), lease('L2', 24002), lease('L4', 24006)],
        gateway: [listener('L2', 24000), listener('L1', 24002), listener('L3', 24004)],
        forwards: [
          { leaseId: 'L2', to: 'tcp://127.0.0.1:10000', state: 'up', localPort: 41000, owned: false },
          { leaseId: 'L3', to: 'tcp://127.0.0.1:10000', state: 'up', localPort: 41002, owned: false },
        ],
      }),
    );
    expect(found.map((o) => [o.kind, o.leaseId, o.kind === 'orphan-forward' ? o.detail.leaseActive : null])).toEqual([
      ['ghost-lease', 'L4', null],
      ['orphan-listener', 'L3', null],
      ['orphan-forward', 'L2', true],
      ['orphan-forward', 'L3', false],
    ]);
  });

  it('walks a large socket table a slice per step and finds what it would find in one walk', () => {
    // The captured sockets, with thousands of unrelated ones before, between and after them:
    // the pair 24000's ESTABLISHED connection lands in the first slice, its LISTEN in a later one.
    const filler = (n: number, from: number): TcpSocket[] =>
      Array.from({ length: n }, (_, i) => ({
        ...SOCKETS[0],
        localPort: 30_000 + ((from + i) % 20_000),
        state: 'ESTABLISHED',
        inode: 900_000 + from + i,
      }));
    const listen = SOCKETS.find((s) => s.localPort === 24000 && s.state === 'LISTEN')!;
    const sockets = [
      { ...listen, state: 'ESTABLISHED' as const, inode: 1 },
      ...filler(SOCKETS_PER_STEP * 2, 0),
      ...SOCKETS,
      ...filler(SOCKETS_PER_STEP + 17, 10_000),
    ];
    const v = views({ os: osView(sockets, [], () => false) });
    const steps = comparisonSteps(v);
    expect(steps.length).toBeGreaterThan(2 * Math.ceil(sockets.length / SOCKETS_PER_STEP));
    const found = steps.flatMap((step) => step()).filter((o) => o.kind === 'foreign-occupant');
    expect(found.map((o) => [o.port, o.detail.state])).toEqual(CAPTURED_FOREIGN);
  });
});
