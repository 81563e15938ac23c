import type { GatewayForwardView, GatewayListenerView } from '@app/gateway';
import type { Lease, QuarantineEntry } from '@app/leasing';
import type { TcpSocket } from '../os/tcp-socket';
import type { TcpSocketTable } from '../os/tcp-socket-table';
import type { UdpSocket } from '../os/udp-socket';
import type { Observation } from './finding';
import { PortMap, PortSet } from './port-set';

export type LeaseView = Pick<Lease, 'id' | 'rtpPort' | 'rtcpPort' | 'state' | 'createdAt' | 'expiresAt'>;

/** The three views of one node, taken in this order: ledger, gateway, OS. */
export interface PassViews {
  now: number;
  minAgeMs: number;
  deadPeerRetransmits: number;
  /** the pair's RTP port for a port of the range, else null */
  rtpPortOf(port: number): number | null;
  leases: LeaseView[];
  quarantine: QuarantineEntry[];
  gateway: GatewayListenerView[];
  /** every forward connection the gateway holds (its lease's sockets too); absent: none */
  forwards?: GatewayForwardView[];
  /**
   * Sockets of the range (TCP as a table, UDP) that stand in the way of our bind host, and
   * which of them are ours; null when the OS could not be read or its view is not trusted.
   */
  os: {
    sockets: TcpSocketTable;
    udp: UdpSocket[];
    isOwn: (protocol: 'tcp' | 'udp', inode: number, localPort: number) => boolean;
  } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

interface Indexes {
  /** is this lease id among the ledger's active leases? (`rtpPort`: where it is expected, if known) */
  isActive: (leaseId: string, rtpPort: number | null) => boolean;
  /** the gateway's entry for this lease, if the gateway has one */
  gatewayOf: (l: LeaseView) => GatewayListenerView | undefined;
  gatewayByPort: PortMap<GatewayListenerView>;
  leaseByPort: PortMap<LeaseView>;
  /** what each transport must hold in the OS while its lease is open (null: nothing it can be held to) */
  mustHold: Record<GatewayListenerView['transport'], PortSet | null>;
}

/** The lookups the comparison reads, each built in a step of its own (they are the largest part). */
function indexSteps(v: PassViews, ix: Partial<Indexes>): Array<() => void> {
  return [
    () => {
      const byPort = new PortMap<GatewayListenerView>();
      for (const g of v.gateway) byPort.set(g.rtpPort, g).set(g.rtcpPort, g);
      ix.gatewayByPort = byPort;
    },
    () => {
      const byPort = new PortMap<LeaseView>();
      for (const l of v.leases) byPort.set(l.rtpPort, l).set(l.rtcpPort, l);
      ix.leaseByPort = byPort;
      Object.assign(ix, byIdLookups(v, ix.gatewayByPort!, byPort));
    },
    // tcp-passive: both listeners; udp: both bound sockets; tcp-active: nothing (it dials on demand).
    () => {
      ix.mustHold = { 'tcp-passive': v.os && new PortSet(), udp: v.os && ownUdpPorts(v.os), 'tcp-active': null };
    },
    ...slices(v.os?.sockets.length ?? 0).map(
      ([from, to]) =>
        () =>
          addOwnTcpListeners(v.os!, from, to, ix.mustHold!['tcp-passive']!),
    ),
  ];
}

/** Rows of the socket table walked per step: a step stays near a millisecond whatever the table's size. */
export const SOCKETS_PER_STEP = 2_500;

/** [from, to) row ranges of SOCKETS_PER_STEP covering `n` rows (none for 0). */
function slices(n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let from = 0; from < n; from += SOCKETS_PER_STEP) out.push([from, Math.min(n, from + SOCKETS_PER_STEP)]);
  return out;
}

/**
 * Lookups by lease id that need no Set or Map of 5,000 ids in the common case: a lease and its
 * gateway entry sit at the same RTP port, so the port indexes answer; any other case (a lease
 * the gateway holds elsewhere, a forward) falls back to an index by id, built once, on first
 * need. Those two indexes, rebuilt every pass, were alive through it and copied by each GC.
 * A gateway lists each lease once.
 */
function byIdLookups(
  v: PassViews,
  gatewayByPort: PortMap<GatewayListenerView>,
  leaseByPort: PortMap<LeaseView>,
): Pick<Indexes, 'isActive' | 'gatewayOf'> {
  let active: Set<string> | null = null;
  let gatewayById: Map<string, GatewayListenerView> | null = null;
  return {
    isActive: (leaseId, rtpPort) => {
      if (rtpPort !== null && leaseByPort.get(rtpPort)?.id === leaseId) return true;
      active ??= new Set(v.leases.map((l) => l.id));
      return active.has(leaseId);
    },
    gatewayOf: (l) => {
      const g = gatewayByPort.get(l.rtpPort);
      if (g?.leaseId === l.id) return g;
      gatewayById ??= new Map(v.gateway.map((e) => [e.leaseId, e]));
      return gatewayById.get(l.id);
    },
  };
}

/** Adds the local ports of our own TCP listeners among rows [from, to). */
function addOwnTcpListeners(os: NonNullable<PassViews['os']>, from: number, to: number, ports: PortSet): void {
  const t = os.sockets;
  for (let i = from; i < to; i++) if (t.state(i) === 'LISTEN' && os.isOwn('tcp', t.inode(i), t.localPort(i))) ports.add(t.localPort(i));
}

/** The local ports of our own UDP sockets. */
function ownUdpPorts(os: NonNullable<PassViews['os']>): PortSet {
  const ports = new PortSet();
  for (const s of os.udp) if (os.isOwn('udp', s.inode, s.localPort)) ports.add(s.localPort);
  return ports;
}

/**
 * Compares the views port by port and lists every difference. Pure: deciding whether and how
 * to act (guards, deferral, use cases) is the reconciler's job.
 */
export function compareViews(v: PassViews): Observation[] {
  return comparisonSteps(v).flatMap((step) => step());
}

/**
 * The same comparison as steps of bounded work (the index builds, the ledger's leases, the
 * gateway's sessions and forwards, the OS's sockets; anything that walks the socket table does
 * it SOCKETS_PER_STEP rows per step), in order; run one after another they answer compareViews(v). With 5,000 leases and 10,000 sockets the whole comparison blocked the
 * event loop for 10-20 ms, the index builds most of it; the reconciler gives the loop a turn
 * between steps.
 */
export function comparisonSteps(v: PassViews): Array<() => Observation[]> {
  const partial: Partial<Indexes> = {};
  // Read only after the index steps ran, in order (this function's contract).
  const ix = partial as Indexes;
  const nothing: Observation[] = [];
  return [
    ...indexSteps(v, partial).map((build) => () => (build(), nothing)),
    () => compareLeases(v, ix),
    () => compareGateway(v, ix),
    ...compareOsSteps(v, ix),
  ];
}

function compareLeases(v: PassViews, ix: Indexes): Observation[] {
  const out: Observation[] = [];
  const { gatewayOf, mustHold } = ix;
  for (const l of v.leases) {
    if (l.expiresAt <= v.now) {
      out.push({
        kind: 'overdue-lease',
        key: null,
        fromOs: false,
        port: l.rtpPort,
        leaseId: l.id,
        detail: { state: l.state, expiresAt: iso(l.expiresAt), overdueMs: v.now - l.expiresAt },
      });
      continue;
    }
    // A young row may be an allocation between its insert and its listen(): never touched.
    if (v.now - l.createdAt < v.minAgeMs) continue;
    const g = gatewayOf(l);
    if (!g || !g.listening) {
      out.push({
        kind: 'ghost-lease',
        key: `ghost:${l.id}`,
        fromOs: false,
        port: l.rtpPort,
        leaseId: l.id,
        detail: { state: l.state, listener: g ? 'closed' : 'missing' },
      });
      continue;
    }
    const held = mustHold[g.transport];
    // Checked before any array is made: 5,000 leases held in full are the common case.
    if (held && (!held.has(l.rtpPort) || !held.has(l.rtcpPort))) {
      out.push({
        kind: 'ghost-lease',
        key: `ghost-os:${l.id}`,
        fromOs: true,
        port: l.rtpPort,
        leaseId: l.id,
        detail: {
          state: l.state,
          listener: 'not-in-os',
          missingPorts: [l.rtpPort, l.rtcpPort].filter((p) => !held.has(p)),
          transport: g.transport,
        },
      });
    }
  }

  return out;
}

function compareGateway(v: PassViews, ix: Indexes): Observation[] {
  const out: Observation[] = [];
  const { isActive } = ix;
  for (const g of v.gateway) {
    if (isActive(g.leaseId, g.rtpPort)) continue;
    out.push({
      kind: 'orphan-listener',
      key: `orphan:${g.leaseId}`,
      fromOs: false,
      port: g.rtpPort,
      leaseId: g.leaseId,
      detail: { holder: 'gateway', listening: g.listening, connected: g.connected },
    });
  }

  // A forward socket belongs to its lease's open session; one that no session owns is closed.
  for (const f of v.forwards ?? []) {
    if (f.owned) continue;
    out.push({
      kind: 'orphan-forward',
      key: `orphan-forward:${f.leaseId}:${f.localPort ?? f.state}`,
      fromOs: false,
      port: f.localPort,
      leaseId: f.leaseId,
      detail: { to: f.to, state: f.state, leaseActive: isActive(f.leaseId, null) },
    });
  }

  return out;
}

/** What the OS comparison gathers over its steps. */
interface OsScan {
  occupied: PortSet;
  /** per pair (RTP port): the foreign socket named for it so far */
  foreignByPair: Map<number, TcpSocket | UdpSocket>;
}

/** A foreign TCP listener is named before anything else the same process holds on the pair. */
const tcpRank = (state: TcpSocket['state']) => (state === 'LISTEN' ? 2 : 0);
const rank = (s: TcpSocket | UdpSocket) => ('state' in s ? tcpRank(s.state) : 1);

/** `occupant` makes the socket's object, called only when it becomes the pair's foreign occupant so far */
function noteForeign(scan: OsScan, rtp: number, occupantRank: number, occupant: () => TcpSocket | UdpSocket): void {
  const seen = scan.foreignByPair.get(rtp);
  if (!seen || occupantRank > rank(seen)) scan.foreignByPair.set(rtp, occupant());
}

/** The OS comparison: the TCP table a slice of rows per step, then UDP, foreign occupants and quarantine. */
function compareOsSteps(v: PassViews, ix: Indexes): Array<() => Observation[]> {
  if (!v.os) return [];
  const os = v.os;
  const scan: OsScan = { occupied: new PortSet(), foreignByPair: new Map() };
  return [
    ...slices(os.sockets.length).map(
      ([from, to]) =>
        () =>
          compareOsTcp(v, os, ix, scan, from, to),
    ),
    () => finishOs(v, os, ix, scan),
  ];
}

function compareOsTcp(v: PassViews, os: NonNullable<PassViews['os']>, ix: Indexes, scan: OsScan, from: number, to: number): Observation[] {
  const out: Observation[] = [];
  const { gatewayByPort, leaseByPort } = ix;
  const { sockets, isOwn } = os;
  for (let i = from; i < to; i++) {
    const localPort = sockets.localPort(i);
    const inode = sockets.inode(i);
    const rtp = v.rtpPortOf(localPort);
    if (rtp === null || inode === 0) continue; // inode 0: TIME_WAIT and the like, held by no process
    scan.occupied.add(rtp);
    const state = sockets.state(i);
    if (!isOwn('tcp', inode, localPort)) {
      noteForeign(scan, rtp, tcpRank(state), () => sockets.at(i));
      continue;
    }
    if (state === 'LISTEN') {
      if (!gatewayByPort.has(localPort)) out.push(heldOutsideGateway(sockets.at(i), 'tcp'));
    } else if (state === 'CLOSE_WAIT' || (state === 'ESTABLISHED' && sockets.retransmits(i) >= v.deadPeerRetransmits)) {
      const s = sockets.at(i);
      const leaseId = gatewayByPort.get(s.localPort)?.leaseId ?? leaseByPort.get(s.localPort)?.id ?? null;
      out.push({
        kind: 'stuck-connection',
        key: `stuck:${s.inode}`,
        fromOs: true,
        port: s.localPort,
        leaseId,
        detail: {
          state: s.state,
          local: `${s.localAddress}:${s.localPort}`,
          peer: `${s.remoteAddress}:${s.remotePort}`,
          retransmits: s.retransmits,
          inode: s.inode,
        },
        socket: s,
      });
    }
  }
  return out;
}

function finishOs(v: PassViews, os: NonNullable<PassViews['os']>, ix: Indexes, scan: OsScan): Observation[] {
  const out: Observation[] = [];
  const { leaseByPort } = ix;
  const { udp, isOwn } = os;
  const { occupied, foreignByPair } = scan;
  const gatewayUdp = new PortSet();
  for (const g of v.gateway) for (const p of g.sockets.udpBound) gatewayUdp.add(p);
  for (const s of udp) {
    const rtp = v.rtpPortOf(s.localPort);
    if (rtp === null) continue;
    occupied.add(rtp);
    if (!isOwn('udp', s.inode, s.localPort)) noteForeign(scan, rtp, rank(s), () => s);
    // Ours, but no lease of the gateway holds it: a UDP half left bound.
    else if (!gatewayUdp.has(s.localPort)) out.push(heldOutsideGateway(s, 'udp'));
  }

  const quarantined = new Map(v.quarantine.map((q) => [q.rtpPort, q]));
  for (const [rtp, s] of foreignByPair) {
    const q = quarantined.get(rtp);
    if (q && q.owner.pid !== null) continue; // quarantined and attributed already
    out.push({
      kind: 'foreign-occupant',
      key: `foreign:${rtp}:${s.inode}`,
      fromOs: true,
      port: s.localPort,
      rtpPort: rtp,
      leaseId: leaseByPort.get(s.localPort)?.id ?? null,
      detail: {
        protocol: 'state' in s ? 'tcp' : 'udp',
        state: 'state' in s ? s.state : s.connected ? 'ESTABLISHED' : 'UNCONN',
        address: `${s.localAddress}:${s.localPort}`,
        uid: s.uid,
        inode: s.inode,
        quarantinedAs: q?.reason ?? null,
      },
      socket: s,
    });
  }

  for (const q of v.quarantine) {
    if (occupied.has(q.rtpPort)) continue;
    out.push({
      kind: 'quarantine-cleared',
      key: `clear:${q.rtpPort}`,
      fromOs: true,
      port: q.rtpPort,
      leaseId: null,
      detail: { reason: q.reason, since: iso(q.since), owner: q.owner },
    });
  }
  return out;
}

/** A socket of this process that no lease of the gateway explains: an orphan only a restart can free. */
function heldOutsideGateway(s: TcpSocket | UdpSocket, protocol: 'tcp' | 'udp'): Observation {
  return {
    kind: 'orphan-listener',
    key: `orphan-os:${s.inode}`,
    fromOs: true,
    port: s.localPort,
    leaseId: null,
    detail: { holder: 'process', protocol, address: `${s.localAddress}:${s.localPort}`, inode: s.inode },
  };
}
