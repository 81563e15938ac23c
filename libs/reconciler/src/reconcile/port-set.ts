/** What a pass asks of a set of ports; a Set<number> answers it too. */
export interface PortLookup {
  has(port: number): boolean;
}

const PORTS = 65_536;

/**
 * A set of TCP/UDP port numbers as one byte per port. A pass fills several of these with up to
 * 10,000 ports; as Set<number> they were the pass's largest allocation (hash tables regrown
 * entry by entry) and, alive until the pass ended, a large part of what each GC scavenge
 * copied. The bytes live outside the JS heap and cost the GC nothing; so does iterating, which
 * walks the bytes (in port order) rather than keeping an array of the ports as they came.
 */
export class PortSet implements PortLookup, Iterable<number> {
  private readonly member = new Uint8Array(PORTS);
  private count = 0;

  add(port: number): this {
    if (port >= 0 && port < PORTS && this.member[port] === 0) {
      this.member[port] = 1;
      this.count++;
    }
    return this;
  }

  has(port: number): boolean {
    return this.member[port] === 1;
  }

  get size(): number {
    return this.count;
  }

  /** Calls `fn` with each port, in ascending order (without the iterator's object per port). */
  forEach(fn: (port: number) => void): void {
    for (let p = 0, left = this.count; left > 0 && p < PORTS; p++) {
      if (this.member[p] === 1) {
        left--;
        fn(p);
      }
    }
  }

  /** The ports in ascending order. */
  *[Symbol.iterator](): Iterator<number> {
    for (let p = 0, left = this.count; left > 0 && p < PORTS; p++) {
      if (this.member[p] === 1) {
        left--;
        yield p;
      }
    }
  }
}

/** Port → item, for the same reason as PortSet: an index per port instead of a Map's entries. */
export class PortMap<T> {
  /** 1 + the item's index in `items`; 0: no item */
  private readonly slot = new Int32Array(PORTS);
  private readonly items: T[] = [];

  set(port: number, item: T): this {
    if (port < 0 || port >= PORTS) return this;
    // An item set for several ports in a row (a lease's RTP and RTCP port) is kept once.
    if (this.items[this.items.length - 1] !== item) this.items.push(item);
    this.slot[port] = this.items.length;
    return this;
  }

  get(port: number): T | undefined {
    const i = this.slot[port];
    return i > 0 ? this.items[i - 1] : undefined;
  }

  has(port: number): boolean {
    return this.slot[port] > 0;
  }
}
