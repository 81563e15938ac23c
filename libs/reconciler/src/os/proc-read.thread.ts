import { Worker } from 'node:worker_threads';

/**
 * The thread's whole program: read a file to its end in CHUNK-byte reads and post each chunk
 * as it comes (its buffer transferred, not copied), then `done`; an error posts its code.
 *
 * Why a thread: the kernel formats /proc/net/tcp* while read() runs, walking its socket hash
 * tables. With 10,000 sockets of ours that is ~20 ms of kernel time per pass, and a single
 * read of /proc/net/tcp6 (which walks every bucket to find no IPv6 socket) took up to 7 ms:
 * synchronous on the event loop, those were the reconciler's longest stalls. In this thread
 * they stall nothing; the event loop only parses the chunks, one per turn (receive()).
 */
const PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const CHUNK = ${32 * 1024};
parentPort.on('message', ({ id, path }) => {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    // The kernel hands /proc/net/* out a page per read(): fill CHUNK before posting, so the
    // event loop gets one message per 32 KiB (about 220 lines, ~0.2 ms to parse) rather than one
    // per 4 KiB. 64 KiB chunks were 0.5-1 ms, and up to 5 ms when a scavenge landed in one.
    for (let eof = false; !eof;) {
      const buf = new Uint8Array(CHUNK);
      let used = 0;
      while (used < CHUNK) {
        const n = readSync(fd, buf, used, CHUNK - used, null);
        if (n === 0) { eof = true; break; }
        used += n;
      }
      if (used === 0) break;
      const chunk = used === CHUNK ? buf : buf.slice(0, used);
      parentPort.postMessage({ id, chunk }, [chunk.buffer]);
    }
    parentPort.postMessage({ id, done: true });
  } catch (err) {
    parentPort.postMessage({ id, error: { code: err.code || 'EUNKNOWN', message: String(err.message || err) } });
  } finally {
    if (fd >= 0) try { closeSync(fd); } catch {}
  }
});
`;

/** A read that failed in the thread: `code` is the errno name (ENOENT, EACCES, ...). */
export class ProcReadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProcReadError';
  }
}

interface PendingRead {
  onChunk(text: string): void;
  resolve(): void;
  reject(err: Error): void;
}

type ThreadMessage =
  { id: number; chunk: Uint8Array } | { id: number; done: true } | { id: number; error: { code: string; message: string } };

/**
 * One helper thread that reads files for the event loop (see PROGRAM). Started at the first
 * read and kept, unref'ed, for the next pass; a thread that dies fails the reads in flight and
 * is started again at the next read. `close()` ends it (module destroy).
 */
export class ProcReadThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, PendingRead>();
  /** messages received and not handled yet, oldest first (see receive) */
  private readonly inbox: ThreadMessage[] = [];
  private draining = false;
  private nextId = 1;

  /** Reads `path` to its end, handing each chunk as text (the tables are ASCII) to `onChunk` in order. */
  read(path: string, onChunk: (text: string) => void): Promise<void> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { onChunk, resolve, reject });
      worker.postMessage({ id, path });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('the /proc reader was closed'));
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(PROGRAM, { eval: true });
    worker.unref();
    worker.on('message', (m: ThreadMessage) => this.receive(m));
    const died = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(err);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the /proc reader thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /**
   * Queues a message; they are handled one per turn of the event loop. The thread reads faster
   * than the loop parses, and Node hands every message waiting on the port to one callback: the
   * chunks of a whole table (10,000 sockets, 1.5 MB) were parsed in one 10-20 ms stretch.
   */
  private receive(m: ThreadMessage): void {
    this.inbox.push(m);
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    const m = this.inbox.shift();
    if (m) this.onMessage(m);
    if (this.inbox.length > 0) setImmediate(() => this.drain());
    else this.draining = false;
  }

  private onMessage(m: ThreadMessage): void {
    const read = this.pending.get(m.id);
    if (!read) return;
    if ('chunk' in m) {
      try {
        read.onChunk(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength).toString('latin1'));
      } catch (err) {
        // A chunk the consumer cannot take ends this read; later chunks of it are ignored.
        this.pending.delete(m.id);
        read.reject(err as Error);
      }
      return;
    }
    this.pending.delete(m.id);
    if ('done' in m) read.resolve();
    else read.reject(new ProcReadError(m.error.code, m.error.message));
  }

  private failAll(err: Error): void {
    const reads = [...this.pending.values()];
    this.pending.clear();
    // What the failed reads' thread sent is for nobody now.
    this.inbox.length = 0;
    for (const r of reads) r.reject(err);
  }
}
