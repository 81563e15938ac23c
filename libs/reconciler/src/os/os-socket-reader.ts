import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RECONCILER_OPTIONS, type ResolvedReconcilerOptions } from '../reconciler.options';
import type { PortFilter, ProcNetScan, ProcNetScanner } from './proc-net.scanner';
import { ProcNetTcpScanner } from './proc-net-tcp.parser';
import { ProcNetUdpScanner } from './proc-net-udp.parser';
import { ProcReadError, ProcReadThread } from './proc-read.thread';
import { TcpSocketTable } from './tcp-socket-table';
import type { UdpSocket } from './udp-socket';

/** The OS could not be read, or what it returned cannot be trusted. */
export class OsReadError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'OsReadError';
  }
}

export interface OsSocketTable {
  /** every socket of tcp and tcp6 whose local port is in the range */
  sockets: TcpSocketTable;
  /** every socket of udp and udp6 whose local port is in the range */
  udp: UdpSocket[];
  /** lines of the four files that could not be read as sockets */
  malformed: number;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/**
 * Reads the kernel's TCP and UDP tables and this process's socket inodes without stalling the
 * event loop: the tables are read in helper threads (ProcReadThread) and parsed here a chunk
 * per message, so a host with tens of thousands of sockets never blocks the loop for long.
 */
@Injectable()
export class OsSocketReader implements OnModuleDestroy {
  /**
   * Two threads: one for tcp, one for the other three tables. The kernel takes ~33 ms to format
   * /proc/net/tcp with 10,000 sockets and ~7 ms for tcp6 (it walks every bucket); read one
   * after the other, the second waited for the first on an otherwise idle core.
   */
  private readonly tcpThread = new ProcReadThread();
  private readonly otherThread = new ProcReadThread();

  constructor(@Inject(RECONCILER_OPTIONS) private readonly options: ResolvedReconcilerOptions) {}

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.tcpThread.close(), this.otherThread.close()]);
  }

  async readTable(range: PortFilter): Promise<OsSocketTable> {
    const root = this.options.procRoot;
    const tcp4 = this.scan(this.tcpThread, join(root, 'net/tcp'), new ProcNetTcpScanner(4, range), false);
    const tcp6 = this.scan(this.otherThread, join(root, 'net/tcp6'), new ProcNetTcpScanner(6, range), () => new TcpSocketTable());
    const udp4 = this.scan(this.otherThread, join(root, 'net/udp'), new ProcNetUdpScanner(4, range), false);
    const udp6 = this.scan(this.otherThread, join(root, 'net/udp6'), new ProcNetUdpScanner(6, range), () => []);
    await Promise.allSettled([tcp4, tcp6, udp4, udp6]);
    // Taken in table order: whichever read failed first in time, the same broken /proc is
    // reported the same way every pass.
    const v4 = await tcp4;
    const v6 = await tcp6;
    const u4 = await udp4;
    const u6 = await udp6;
    if (!v4.sawHeader) throw new OsReadError(`${join(root, 'net/tcp')} has no header line`);
    if (!u4.sawHeader) throw new OsReadError(`${join(root, 'net/udp')} has no header line`);
    return {
      sockets: v4.sockets.append(v6.sockets),
      udp: u4.sockets.concat(u6.sockets),
      malformed: v4.malformed + v6.malformed + u4.malformed + u6.malformed,
    };
  }

  /** Inodes of every socket this process holds open (/proc/self/fd → "socket:[inode]"). */
  async ownSocketInodes(): Promise<Set<number>> {
    const dir = join(this.options.procRoot, 'self/fd');
    const names = await readdir(dir).catch((err) => {
      throw new OsReadError(`cannot list ${dir}: ${(err as Error).message}`, err);
    });
    const inodes = new Set<number>();
    await forEachBounded(names, 16, async (fd) => {
      // An fd closed between readdir and readlink is simply gone.
      const link = await readlink(join(dir, fd)).catch(() => null);
      const m = link ? SOCKET_LINK.exec(link) : null;
      if (m) inodes.add(Number(m[1]));
    });
    return inodes;
  }

  /** `missing`: the empty table a missing file stands for (false: a missing file is an error) */
  private async scan<S>(
    thread: ProcReadThread,
    path: string,
    scanner: ProcNetScanner<S>,
    missing: false | (() => S),
  ): Promise<ProcNetScan<S>> {
    try {
      // The kernel's work of formatting the table happens in the reader thread; the event loop
      // parses one chunk per message (the tables are ASCII: a chunk never splits a character).
      await thread.read(path, (text) => scanner.push(text));
    } catch (err) {
      const code = err instanceof ProcReadError ? err.code : null;
      // A kernel without IPv6 has no tcp6 and udp6; that is an empty table, not a failure.
      if (missing && code === 'ENOENT') return { sockets: missing(), lines: 0, malformed: 0, sawHeader: true };
      throw new OsReadError(`cannot read ${path}: ${(err as Error).message}`, err);
    }
    return scanner.end();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
