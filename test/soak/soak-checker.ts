import { establishedPorts, listeningPorts, boundUdpPorts } from '../support/proc-net';
import type { SoakClient } from './soak-http';

export type ViolationKind =
  | 'double-allocation'
  | 'active-not-listening'
  | 'listener-without-lease'
  | 'udp-socket-without-lease'
  | 'connection-without-lease'
  | 'pair-count-mismatch'
  | 'crash'
  | 'uncaught-error'
  | 'http-500'
  | 'end-state';

export interface Violation {
  kind: ViolationKind;
  key: string;
  /** ms since the soak started */
  at: number;
  detail: string;
}

export interface ActiveLease {
  id: string;
  streamId: string;
  rtpPort: number;
  rtcpPort: number;
  /** absent from services before the transports: TCP-PASSIVE */
  transport?: 'tcp-passive' | 'udp' | 'tcp-active';
  state: string;
  createdAt: string;
}

/** The OS's sockets in the range: TCP listeners, UDP sockets, and ESTABLISHED connections. */
interface OsRead {
  listening: Set<number>;
  udp: Set<number>;
  established: Set<number>;
}

function readOs(start: number, end: number): OsRead {
  return {
    listening: new Set(listeningPorts(start, end)),
    udp: new Set(boundUdpPorts(start, end)),
    established: new Set(establishedPorts(start, end)),
  };
}

/** Every active lease, through the API's cursor pages. */
export async function listActive(client: SoakClient): Promise<ActiveLease[]> {
  const out: ActiveLease[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const r = await client.get(`/api/v1/leases?state=active&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`GET /leases?state=active answered ${r.status}`);
    out.push(...(r.body.items as ActiveLease[]));
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  return out;
}

interface Candidate {
  kind: ViolationKind;
  firstSeen: number;
  rounds: number;
  detail: string;
  reported: boolean;
}

export interface CheckerOptions {
  range: { start: number; end: number };
  /** a difference must persist this long (and over two rounds) before it counts */
  graceMs: number;
  /** ports a foreign process (the fault injector) holds or is about to hold */
  foreignPorts: () => Set<number>;
  /** no violation is raised before this time (boot + reconcile after a restart or a database cut) */
  quietUntil: () => number;
  generation: () => number;
  ready: () => boolean;
  report: (v: Omit<Violation, 'at'>) => void;
}

/**
 * The invariants, from outside the service: the OS socket tables (/proc/net/tcp*, udp*) read
 * just before and just after the API's view (active leases, /ports). Each transport holds its
 * own sockets: a TCP-PASSIVE lease listens on both ports, a UDP lease has both bound, a
 * TCP-ACTIVE lease holds at most its dialled connection; no socket of any kind in the range
 * lives without an active lease that explains it. A difference is only a
 * candidate; it becomes a violation when the same difference (same lease, same port) is still
 * there after `graceMs` and at least two rounds, so a lease created or released between the
 * reads, a restart or a reconciler repair in progress never counts.
 */
export class InvariantChecker {
  rounds = 0;
  skipped = 0;
  /** differences seen once and gone by the next rounds (races the checker tolerates) */
  transient = 0;
  private candidates = new Map<string, Candidate>();
  private generation = -1;

  constructor(
    private readonly client: SoakClient,
    private readonly o: CheckerOptions,
  ) {}

  async round(): Promise<void> {
    if (!this.o.ready()) {
      this.skipped++;
      return;
    }
    const gen = this.o.generation();
    if (gen !== this.generation) {
      // A new process: what the old one held is not comparable.
      this.generation = gen;
      this.candidates.clear();
    }
    const { start, end } = this.o.range;
    const foreignBefore = new Set(this.o.foreignPorts());
    const before = readOs(start, end);
    let active: ActiveLease[];
    let ports: any;
    try {
      active = await listActive(this.client);
      const r = await this.client.get('/api/v1/ports');
      if (r.status !== 200) throw new Error(`ports ${r.status}`);
      ports = r.body;
    } catch {
      this.skipped++;
      return;
    }
    const after = readOs(start, end);
    if (this.o.generation() !== gen || !this.o.ready()) {
      this.skipped++;
      return;
    }
    const foreign = new Set([...foreignBefore, ...this.o.foreignPorts()]);
    this.rounds++;
    const now = Date.now();
    const seen = new Map<string, { kind: ViolationKind; detail: string }>();

    // 1. No pair active twice at once.
    const byPort = new Map<number, ActiveLease[]>();
    for (const l of active) byPort.set(l.rtpPort, [...(byPort.get(l.rtpPort) ?? []), l]);
    for (const [port, ls] of byPort) {
      const ids = [...new Set(ls.map((l) => l.id))].sort();
      if (ids.length > 1)
        seen.set(`dup:${port}:${ids.join(',')}`, {
          kind: 'double-allocation',
          detail: `pair ${port} active in ${ls.map((l) => `${l.id}(${l.state},${l.streamId})`).join(' and ')}`,
        });
    }

    // 2. Every active lease holds the sockets of its transport: both ports, in both OS reads.
    const leasedPorts = new Set<number>();
    const tcpListenPorts = new Set<number>();
    const udpPorts = new Set<number>();
    for (const l of active) {
      const transport = l.transport ?? 'tcp-passive';
      leasedPorts.add(l.rtpPort).add(l.rtcpPort);
      if (transport === 'tcp-active') continue; // holds a socket only while dialled
      const held = transport === 'udp' ? udpPorts : tcpListenPorts;
      held.add(l.rtpPort).add(l.rtcpPort);
      const table = transport === 'udp' ? 'udp' : 'listening';
      const missing = [l.rtpPort, l.rtcpPort].filter((p) => !before[table].has(p) && !after[table].has(p));
      if (missing.length > 0)
        seen.set(`ghost:${l.id}`, {
          kind: 'active-not-listening',
          detail: `${transport} lease ${l.id} (${l.state}, stream ${l.streamId}, created ${l.createdAt}) holds ${l.rtpPort}/${l.rtcpPort} but has no ${transport === 'udp' ? 'UDP socket' : 'listener'} on ${missing.join(',')}`,
        });
    }

    // 3. No socket in the range without an active lease that explains it (foreign grabs excepted):
    //    a TCP listener needs a TCP-PASSIVE lease, a UDP socket a UDP lease, a connection any lease.
    for (const p of before.listening) {
      if (after.listening.has(p) && !tcpListenPorts.has(p) && !foreign.has(p))
        seen.set(`orphan:${p}`, {
          kind: 'listener-without-lease',
          detail: `port ${p} listens in the OS but no active lease holds it as a TCP-PASSIVE listener`,
        });
    }
    for (const p of before.udp) {
      if (after.udp.has(p) && !udpPorts.has(p))
        seen.set(`orphan-udp:${p}`, {
          kind: 'udp-socket-without-lease',
          detail: `port ${p} has a UDP socket but no active UDP lease holds it`,
        });
    }
    for (const p of before.established) {
      if (after.established.has(p) && !leasedPorts.has(p))
        seen.set(`orphan-conn:${p}`, {
          kind: 'connection-without-lease',
          detail: `port ${p} has an ESTABLISHED connection but no active lease holds it`,
        });
    }

    // 4. free + leased + quarantined = pairs = the range.
    const pairs = Math.floor((end - start + 1) / 2);
    if (ports.free + ports.leased + ports.quarantined !== ports.pairs || ports.pairs !== pairs) {
      seen.set('sum', {
        kind: 'pair-count-mismatch',
        detail: `/ports: free ${ports.free} + leased ${ports.leased} + quarantined ${ports.quarantined} vs pairs ${ports.pairs} (range has ${pairs})`,
      });
    }

    for (const key of this.candidates.keys()) {
      if (!seen.has(key)) {
        const c = this.candidates.get(key)!;
        if (!c.reported) this.transient++;
        this.candidates.delete(key);
      }
    }
    for (const [key, s] of seen) {
      let c = this.candidates.get(key);
      if (!c) {
        c = { kind: s.kind, firstSeen: now, rounds: 0, detail: s.detail, reported: false };
        this.candidates.set(key, c);
      }
      c.rounds++;
      c.detail = s.detail;
      if (!c.reported && c.rounds >= 2 && now - c.firstSeen >= this.o.graceMs && now >= this.o.quietUntil()) {
        c.reported = true;
        this.o.report({ kind: c.kind, key, detail: `${c.detail} (for ${now - c.firstSeen} ms over ${c.rounds} checks)` });
      }
    }
  }
}
