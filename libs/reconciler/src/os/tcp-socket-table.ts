import { TCP_STATES, type TcpSocket, type TcpState } from './tcp-socket';

const FIRST_CAPACITY = 256;

/**
 * The sockets of the TCP tables as columns, one row per socket: what a pass reads of 10,000
 * sockets without an object per socket. As TcpSocket objects they were the largest thing alive
 * through a pass, so each young-generation GC that fell inside one copied them (2-9 ms pauses
 * on the event loop); these columns live outside the JS heap. A row becomes a TcpSocket object
 * (`at`) only where one is reported (a stuck connection, a foreign listener).
 */
export class TcpSocketTable {
  private n = 0;
  private family = new Uint8Array(0);
  private lPort = new Uint16Array(0);
  private rPort = new Uint16Array(0);
  private st = new Uint8Array(0);
  /** index into `addresses` */
  private lAddr = new Uint32Array(0);
  private rAddr = new Uint32Array(0);
  private retx = new Float64Array(0);
  private uids = new Float64Array(0);
  private inodes = new Float64Array(0);
  /** the distinct addresses of the rows (a host has few) */
  private readonly addresses: string[] = [];
  private readonly addressIndex = new Map<string, number>();
  private lastAddress = '';
  private lastIndex = -1;

  /** A table of these sockets, in order. */
  static of(sockets: readonly TcpSocket[]): TcpSocketTable {
    const t = new TcpSocketTable();
    for (const s of sockets)
      t.add(s.family, s.localAddress, s.localPort, s.remoteAddress, s.remotePort, s.state, s.retransmits, s.uid, s.inode);
    return t;
  }

  get length(): number {
    return this.n;
  }

  add(
    family: 4 | 6,
    localAddress: string,
    localPort: number,
    remoteAddress: string,
    remotePort: number,
    state: TcpState | number,
    retransmits: number,
    uid: number,
    inode: number,
  ): void {
    if (this.n === this.inodes.length) this.grow();
    const i = this.n++;
    this.family[i] = family;
    this.lAddr[i] = this.indexOf(localAddress);
    this.lPort[i] = localPort;
    this.rAddr[i] = this.indexOf(remoteAddress);
    this.rPort[i] = remotePort;
    this.st[i] = typeof state === 'number' ? state : TCP_STATES.indexOf(state);
    this.retx[i] = retransmits;
    this.uids[i] = uid;
    this.inodes[i] = inode;
  }

  /** Appends the rows of `other` (in its order). */
  append(other: TcpSocketTable): this {
    for (let i = 0; i < other.n; i++) this.addRow(other, i);
    return this;
  }

  /**
   * A new table of the rows `keep` says yes to, in order. Rows are copied column by column with
   * their address indexes as they are (the new table starts with this one's addresses): 10,000
   * rows through `add` and its address lookup were a 4-5 ms stretch of a reconcile pass.
   */
  select(keep: (t: TcpSocketTable, i: number) => boolean): TcpSocketTable {
    const out = new TcpSocketTable();
    for (const a of this.addresses) out.indexOf(a);
    for (let i = 0; i < this.n; i++) {
      if (!keep(this, i)) continue;
      if (out.n === out.inodes.length) out.grow();
      const j = out.n++;
      out.family[j] = this.family[i];
      out.lAddr[j] = this.lAddr[i];
      out.lPort[j] = this.lPort[i];
      out.rAddr[j] = this.rAddr[i];
      out.rPort[j] = this.rPort[i];
      out.st[j] = this.st[i];
      out.retx[j] = this.retx[i];
      out.uids[j] = this.uids[i];
      out.inodes[j] = this.inodes[i];
    }
    return out;
  }

  localAddress(i: number): string {
    return this.addresses[this.lAddr[i]];
  }

  localPort(i: number): number {
    return this.lPort[i];
  }

  state(i: number): TcpState {
    return TCP_STATES[this.st[i]];
  }

  retransmits(i: number): number {
    return this.retx[i];
  }

  inode(i: number): number {
    return this.inodes[i];
  }

  /** Row `i` as an object (a new one each call). */
  at(i: number): TcpSocket {
    return {
      family: this.family[i] as 4 | 6,
      localAddress: this.addresses[this.lAddr[i]],
      localPort: this.lPort[i],
      remoteAddress: this.addresses[this.rAddr[i]],
      remotePort: this.rPort[i],
      state: TCP_STATES[this.st[i]],
      retransmits: this.retx[i],
      uid: this.uids[i],
      inode: this.inodes[i],
    };
  }

  /** Every row as an object (tests, and callers that want a plain array). */
  toArray(): TcpSocket[] {
    const out: TcpSocket[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.at(i));
    return out;
  }

  private addRow(from: TcpSocketTable, i: number): void {
    this.add(
      from.family[i] as 4 | 6,
      from.addresses[from.lAddr[i]],
      from.lPort[i],
      from.addresses[from.rAddr[i]],
      from.rPort[i],
      from.st[i],
      from.retx[i],
      from.uids[i],
      from.inodes[i],
    );
  }

  private indexOf(address: string): number {
    if (address === this.lastAddress && this.lastIndex !== -1) return this.lastIndex;
    let i = this.addressIndex.get(address);
    if (i === undefined) {
      i = this.addresses.length;
      this.addresses.push(address);
      this.addressIndex.set(address, i);
    }
    this.lastAddress = address;
    this.lastIndex = i;
    return i;
  }

  private grow(): void {
    const cap = Math.max(FIRST_CAPACITY, this.inodes.length * 2);
    const more = <A extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: A, make: new (n: number) => A): A => {
      const b = new make(cap);
      b.set(a);
      return b;
    };
    this.family = more(this.family, Uint8Array);
    this.lPort = more(this.lPort, Uint16Array);
    this.rPort = more(this.rPort, Uint16Array);
    this.st = more(this.st, Uint8Array);
    this.lAddr = more(this.lAddr, Uint32Array);
    this.rAddr = more(this.rAddr, Uint32Array);
    this.retx = more(this.retx, Float64Array);
    this.uids = more(this.uids, Float64Array);
    this.inodes = more(this.inodes, Float64Array);
  }
}
