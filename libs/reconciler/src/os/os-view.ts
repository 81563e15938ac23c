import { LEASING_OPTIONS, LeaseQueries, type LeasingOptions } from '@app/leasing';
import type { GatewayListenerView } from '@app/gateway';
import { Inject, Injectable } from '@nestjs/common';
import type { PassViews } from '../reconcile/compare-views';
import { osTableProblem } from '../reconcile/os-trust';
import { PortSet } from '../reconcile/port-set';
import { OsSocketReader } from './os-socket-reader';
import { conflictsWithBindHost } from './tcp-socket';
import type { TcpSocketTable } from './tcp-socket-table';
import type { UdpSocket } from './udp-socket';

export interface OsView {
  view: PassViews['os'];
  /** why the OS view is missing or not trusted; null when it is fine */
  problem: string | null;
}

/** The third view of a pass: the sockets of the range in the OS's TCP and UDP tables, and which are ours. */
@Injectable()
export class OsViewReader {
  /** socket inode → ours? An inode never changes hands, so a verdict from /proc/self/fd holds while it lives. */
  private readonly ownership = new Map<number, boolean>();

  constructor(
    @Inject(LEASING_OPTIONS) private readonly node: LeasingOptions,
    private readonly reader: OsSocketReader,
    private readonly queries: LeaseQueries,
  ) {}

  async read(gateway: GatewayListenerView[]): Promise<OsView> {
    const { range, bindHost } = this.node;
    try {
      const table = await this.reader.readTable(range);
      // Which listeners stayed open across the read: only those say anything about the table.
      const after = this.queries.listeners();
      // What follows walks every socket of the range (10,000 with 5,000 leases): its own turn.
      await turn();
      // Only sockets that could stop our own listen() matter: ours are all at the bind host,
      // and another node of the fleet on another address is no conflict.
      const conflicts = new Map<string, boolean>();
      const inTheWay = (address: string) => {
        let c = conflicts.get(address);
        if (c === undefined) conflicts.set(address, (c = conflictsWithBindHost(address, bindHost)));
        return c;
      };
      const sockets = table.sockets.select((t, i) => t.inode(i) !== 0 && inTheWay(t.localAddress(i)));
      const udp = table.udp.filter((s) => s.inode !== 0 && inTheWay(s.localAddress));
      // A socket on a port where our gateway holds a socket of that protocol is ours (the
      // listener, a connection it accepted or dialled, a bound UDP socket); anything else is
      // looked up by inode in /proc/self/fd, once per inode.
      const tcpPorts = new PortSet();
      const udpPorts = new PortSet();
      for (const g of gateway) {
        const held = g.sockets;
        for (const p of held.tcpListening) tcpPorts.add(p);
        for (const c of held.tcpConnections) tcpPorts.add(c.localPort);
        if (held.dialling) tcpPorts.add(g.rtpPort);
        for (const p of held.udpBound) udpPorts.add(p);
      }
      const byGateway = (protocol: 'tcp' | 'udp', localPort: number) => (protocol === 'udp' ? udpPorts : tcpPorts).has(localPort);
      const unknown: number[] = [];
      for (let i = 0; i < sockets.length; i++) {
        const inode = sockets.inode(i);
        if (!this.ownership.has(inode) && !byGateway('tcp', sockets.localPort(i))) unknown.push(inode);
      }
      for (const s of udp) if (!this.ownership.has(s.inode) && !byGateway('udp', s.localPort)) unknown.push(s.inode);
      if (unknown.length > 0) {
        const own = await this.reader.ownSocketInodes();
        for (const inode of unknown) this.ownership.set(inode, own.has(inode));
      }
      this.forgetGone(sockets, udp);
      const isOwn = (protocol: 'tcp' | 'udp', inode: number, localPort: number) =>
        this.ownership.get(inode) ?? byGateway(protocol, localPort);

      if (table.malformed > 0) return { view: null, problem: `the socket tables have ${table.malformed} unreadable lines` };
      await turn();
      const osListening = new PortSet();
      for (let i = 0; i < sockets.length; i++) if (sockets.state(i) === 'LISTEN') osListening.add(sockets.localPort(i));
      const problem = osTableProblem(gateway, after, osListening);
      if (problem !== null) return { view: null, problem };
      return { view: { sockets, udp, isOwn }, problem: null };
    } catch (err) {
      return { view: null, problem: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Drops the verdicts on inodes no longer in the tables (a set of the few cached inodes, not of every socket's). */
  private forgetGone(tcp: TcpSocketTable, udp: readonly UdpSocket[]): void {
    if (this.ownership.size === 0) return;
    const live = new Set<number>();
    for (let i = 0; i < tcp.length; i++) if (this.ownership.has(tcp.inode(i))) live.add(tcp.inode(i));
    for (const s of udp) if (this.ownership.has(s.inode)) live.add(s.inode);
    for (const inode of this.ownership.keys()) if (!live.has(inode)) this.ownership.delete(inode);
  }
}

/** A turn of the event loop (timers and I/O run before the next synchronous stretch). */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
