export interface PortFilter {
  start: number;
  end: number;
}

export interface ProcNetScan<S> {
  /** sockets whose *local* port lies in the filter range, in file order (an array, or a TcpSocketTable) */
  sockets: S;
  /** data lines seen (in range or not) */
  lines: number;
  /** lines that were neither the header nor a socket: a sign of a torn or foreign format */
  malformed: number;
  sawHeader: boolean;
}

/** Where a socket of any of the tables is bound and connected to. */
export interface SocketEndpoints {
  family: 4 | 6;
  /** dotted IPv4, or IPv6 in its short form; v4-mapped stays `::ffff:a.b.c.d` */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/**
 * Incremental scanner for the socket tables of /proc/net (tcp, tcp6, udp, udp6: one line per
 * socket, `sl: local remote st ...`). Pure: feed it text in any chunks (`push`), then `end()`.
 * Lines are filtered by local port as they are scanned, so the thousands of unrelated sockets
 * on a busy host cost two indexOf calls and a parseInt each; a subclass decodes the lines in range
 * into its store of sockets (`S`).
 *
 * Addresses: the kernel prints each 32-bit word of the address as a host-order hex number, so
 * on little-endian machines 127.0.0.1 reads "0100007F"; IPv6 is four such words.
 */
export abstract class ProcNetScanner<S> {
  private carry = '';
  private readonly addresses = new Map<string, string>();
  /** per endpoint field (local, remote): the hex address last decoded and its text */
  private readonly lastHex: string[] = [];
  private readonly lastAddress: string[] = [];
  /** start and end offsets of the fields of the line being decoded */
  protected readonly fields = new Array<number>(24);
  /** the endpoints of the line being decoded (readEndpoints) */
  protected readonly ends: Omit<SocketEndpoints, 'family'> = { localAddress: '', localPort: 0, remoteAddress: '', remotePort: 0 };
  private readonly counts = { lines: 0, malformed: 0, sawHeader: false };

  constructor(
    protected readonly family: 4 | 6,
    private readonly filter: PortFilter = { start: 0, end: 65535 },
    private readonly littleEndian = true,
  ) {}

  push(chunk: string): void {
    let from = 0;
    // The line cut by the last chunk is joined on its own: joining the whole chunk to it
    // copied every chunk (64 KiB) once more.
    if (this.carry.length > 0) {
      const nl = chunk.indexOf('\n');
      if (nl === -1) {
        this.carry += chunk;
        return;
      }
      const head = this.carry + chunk.slice(0, nl);
      this.carry = '';
      this.line(head, 0, head.length);
      from = nl + 1;
    }
    for (let nl = chunk.indexOf('\n', from); nl !== -1; nl = chunk.indexOf('\n', from)) {
      this.line(chunk, from, nl);
      from = nl + 1;
    }
    this.carry = chunk.slice(from);
  }

  /** The last line may lack its newline. */
  end(): ProcNetScan<S> {
    if (this.carry.length > 0) this.line(this.carry, 0, this.carry.length);
    this.carry = '';
    return { sockets: this.store, ...this.counts };
  }

  /** The sockets decoded so far. */
  protected abstract readonly store: S;

  /** Decodes one in-range line (after `sl:`) into the store; false when it cannot be read. */
  protected abstract decode(text: string, from: number, to: number): boolean;

  private line(text: string, from: number, to: number): void {
    const sl = text.indexOf(':', from);
    if (sl === -1 || sl >= to || !isSlot(text, from, sl)) {
      const line = text.slice(from, to);
      if (!this.counts.sawHeader && line.includes('local_address')) this.counts.sawHeader = true;
      else if (line.trim() !== '') this.counts.malformed++;
      return;
    }
    this.counts.lines++;
    let a = sl + 1;
    while (text.charCodeAt(a) === 32) a++;
    const colon = text.indexOf(':', a);
    const port = colon !== -1 && colon < to ? parseHex(text, colon + 1, Math.min(colon + 5, to)) : NaN;
    if (Number.isNaN(port)) {
      this.counts.malformed++;
      return;
    }
    if (port < this.filter.start || port > this.filter.end) return;
    if (!this.decode(text, a, to)) this.counts.malformed++;
  }

  /** Splits the line into its first `count` space-separated fields (offsets in `fields`), by hand: no split, no regex. */
  protected split(text: string, from: number, to: number, count: number): boolean {
    const f = this.fields;
    let n = 0;
    for (let i = from; n < count * 2 && i < to;) {
      while (i < to && text.charCodeAt(i) === 32) i++;
      if (i >= to) break;
      f[n++] = i;
      while (i < to && text.charCodeAt(i) !== 32) i++;
      f[n++] = i;
    }
    return n === count * 2;
  }

  /**
   * Reads both endpoints of the line last split into `ends` (one object for every line: the
   * socket copies what it keeps); false when either is not an address:port.
   */
  protected readEndpoints(text: string): boolean {
    const e = this.ends;
    const local = this.address(text, 0);
    const remote = this.address(text, 1);
    if (local === null || remote === null) return false;
    e.localAddress = local;
    e.remoteAddress = remote;
    e.localPort = this.port(text, 0);
    e.remotePort = this.port(text, 1);
    return !Number.isNaN(e.localPort) && !Number.isNaN(e.remotePort);
  }

  /** Field `i` of the line last split read as hex (leading hex digits, as parseInt reads them; NaN without). */
  protected hexField(text: string, i: number): number {
    return parseHex(text, this.fields[2 * i], this.fields[2 * i + 1]);
  }

  /** Field `i` of the line last split read as a decimal number; NaN unless it is all digits. */
  protected decimalField(text: string, i: number): number {
    const to = this.fields[2 * i + 1];
    let n = 0;
    for (let c = this.fields[2 * i]; c < to; c++) {
      const d = text.charCodeAt(c) - 48;
      if (d < 0 || d > 9) return NaN;
      n = n * 10 + d;
    }
    return n;
  }

  /**
   * The address of endpoint field `i` ("0100007F:5DC0" → 127.0.0.1), or null when it is not one.
   * The few distinct addresses of a host are decoded once; the one of the line before, which
   * most lines repeat (our bind host, the wildcard), is recognised without cutting a string.
   */
  private address(text: string, i: number): string | null {
    const from = this.fields[2 * i];
    const colon = text.indexOf(':', from);
    const length = this.family === 4 ? 8 : 32;
    if (colon - from !== length || colon >= this.fields[2 * i + 1]) return null;
    if (this.lastHex[i] !== undefined && text.startsWith(this.lastHex[i], from)) return this.lastAddress[i];
    const hex = text.slice(from, colon);
    let address = this.addresses.get(hex);
    if (address === undefined) {
      if (!/^[0-9A-Fa-f]+$/.test(hex)) return null;
      address = this.family === 4 ? decodeV4(hex, this.littleEndian) : decodeV6(hex, this.littleEndian);
      this.addresses.set(hex, address);
    }
    this.lastHex[i] = hex;
    this.lastAddress[i] = address;
    return address;
  }

  /** The port of endpoint field `i` ("0100007F:5DC0" → 24000), NaN when it has none. */
  private port(text: string, i: number): number {
    const colon = text.indexOf(':', this.fields[2 * i]);
    const to = this.fields[2 * i + 1];
    return colon === -1 || colon >= to ? NaN : parseHex(text, colon + 1, to);
  }
}

/** `\s*\d+` from `from` to `to`: the `sl` number that starts every socket line. */
function isSlot(text: string, from: number, to: number): boolean {
  let i = from;
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  if (i === to) return false;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** The hex digits from `from` up to the first other character or `to`, NaN when there is none (as parseInt(…, 16)). */
function parseHex(text: string, from: number, to: number): number {
  let n = 0;
  let i = from;
  for (let d: number; i < to && (d = hexDigit(text.charCodeAt(i))) !== -1; i++) n = n * 16 + d;
  return i === from ? NaN : n;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** Scans a whole file's text in one go. */
export function scanText<S>(scanner: ProcNetScanner<S>, text: string): ProcNetScan<S> {
  scanner.push(text);
  return scanner.end();
}

/** Bytes of one 8-hex-digit word in network order. */
function wordBytes(hex: string, le: boolean): number[] {
  const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return le ? b.reverse() : b;
}

export function decodeV4(hex: string, littleEndian = true): string {
  return wordBytes(hex, littleEndian).join('.');
}

export function decodeV6(hex: string, littleEndian = true): string {
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // RFC 5952: the longest run (≥ 2) of zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (best === -1) return hexes.join(':');
  return `${hexes.slice(0, best).join(':')}::${hexes.slice(best + bestLen).join(':')}`;
}
