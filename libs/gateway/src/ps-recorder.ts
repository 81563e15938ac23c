import type { PsPayloadInfo, PsSink } from '@app/rtp';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isInsideDir } from './record-dir';

const BUFFER_BYTES = 256 * 1024;
const FLUSH_EVERY_MS = 1000;
/** Written-to-disk lag at which the disk counts as stalled: 16 buffers, ~10-30 s of a GB28181 stream. */
export const DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** How long a lease's release waits for its recording to reach the disk before it gives up on it. */
const DEFAULT_CLOSE_WAIT_MS = 5000;

/** The part of a FileHandle the recorder uses (tests inject a slow one). */
export interface RecordFile {
  write(data: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
  stat(): Promise<{ size: number }>;
}

/** Why a recording stopped before its lease ended, as told in the `recording-stopped` event. */
export interface RecordingStopped {
  /** `max-bytes`, `disk-error: <CODE>`, `disk-stalled` or `outside-record-dir` */
  why: string;
  path: string;
  /** bytes this lease added to the file */
  bytes: number;
}

export interface RecorderOptions {
  /** RECORD_DIR: a path that does not resolve inside it is never opened (unset: not checked) */
  root?: string;
  /** RECORD_MAX_BYTES: the file never grows beyond this; 0 = no limit */
  maxBytes?: number;
  /** bytes handed to the disk and not yet written; more than this and the disk counts as stalled */
  maxPendingBytes?: number;
  closeWaitMs?: number;
  onStopped?: (stopped: RecordingStopped) => void;
  openFile?: (path: string) => Promise<RecordFile>;
}

/**
 * Writes a lease's program stream to its `.ps` file. Payloads are copied into a 256 KB buffer;
 * a full buffer (or, at most a second later, a partial one) is written asynchronously, in
 * order, so the socket's receive path never waits for the disk. `close()` writes what is
 * left, fsyncs and closes the file: the file is complete when it resolves.
 *
 * The file is opened for appending: a lease resumed after a restart continues its recording.
 *
 * A recording stops on its own — file closed, what was written kept, `onStopped` told once —
 * when the file reaches `maxBytes`, when a write fails (ENOSPC, EIO…), or when the disk falls
 * more than `maxPendingBytes` behind (stalled: memory must not grow without bound). The
 * stream, its live pulls and its lease go on; nothing here ever throws into the receive path.
 */
export class PsRecorder implements PsSink {
  /** bytes this lease added to the file (written, or on their way) */
  bytes = 0;
  error: string | null = null;
  /** why the recording stopped before the lease ended, else null */
  stopped: string | null = null;
  private buf: Buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  private len = 0;
  /** bytes this lease may still add: maxBytes less the size the file had when it was opened */
  private room: number;
  /** bytes of this lease written to the file so far (the file's size is known only once it is open) */
  private written = 0;
  private pending = 0;
  private readonly maxPending: number;
  private readonly file: Promise<RecordFile | null>;
  /** the chain of writes, in order; never rejects */
  private queue: Promise<void>;
  private finished: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly options: RecorderOptions = {},
  ) {
    this.room = options.maxBytes ? options.maxBytes : Number.POSITIVE_INFINITY;
    this.maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    const inside = options.root === undefined || isInsideDir(options.root, path);
    const openFile = options.openFile ?? ((p: string) => mkdir(dirname(p), { recursive: true }).then(() => open(p, 'a')));
    this.file = inside
      ? openFile(path).then(
          (fh) => this.sized(fh),
          (err) => {
            this.fail(err);
            return null;
          },
        )
      : Promise.resolve(null);
    this.queue = this.file.then(() => undefined);
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
    if (!inside) {
      this.error = `${path} does not lie inside RECORD_DIR ${options.root}`;
      this.stop('outside-record-dir');
    }
  }

  write(buf: Buffer, start: number, end: number, _info: Readonly<PsPayloadInfo>): void {
    if (this.stopped !== null || this.closed) return;
    const n = end - start;
    if (n >= this.room - this.bytes) return this.fillAndStop(buf, start, start + (this.room - this.bytes));
    if (this.len + n > this.buf.length) {
      this.flush();
      if (this.stopped !== null) return;
      if (n > this.buf.length) this.buf = Buffer.allocUnsafeSlow(n);
    }
    buf.copy(this.buf, this.len, start, end);
    this.len += n;
    this.bytes += n;
  }

  /** Hands the buffered bytes to the disk (asynchronously) and starts a fresh buffer. */
  flush(): void {
    if (this.len === 0 || this.stopped !== null) return;
    this.handOver();
  }

  /** Writes the rest, fsyncs and closes; resolves once the file is complete on disk, or the disk is given up on. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.timer);
      this.flush();
      this.finish();
    }
    if (this.stopped === 'disk-stalled') return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.stop('disk-stalled');
        resolve();
      }, this.options.closeWaitMs ?? DEFAULT_CLOSE_WAIT_MS);
    });
    await Promise.race([this.finished, gaveUp]);
    clearTimeout(timer);
  }

  summary(): { path: string; bytes: number; error: string | null; stopped: string | null } {
    return { path: this.path, bytes: this.bytes, error: this.error, stopped: this.stopped };
  }

  /** Learns how much the file already holds (a resumed lease appends), so maxBytes holds for the file. */
  private async sized(fh: RecordFile): Promise<RecordFile> {
    if (this.options.maxBytes) {
      const { size } = await fh.stat().catch(() => ({ size: 0 }));
      this.room = Math.max(0, this.options.maxBytes - size);
      if (this.bytes > this.room) this.bytes = this.room;
    }
    return fh;
  }

  private handOver(): void {
    const data = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafeSlow(BUFFER_BYTES);
    this.len = 0;
    if (this.pending + data.length > this.maxPending) {
      this.bytes -= data.length;
      this.stop('disk-stalled');
      return;
    }
    this.pending += data.length;
    this.queue = this.queue.then(async () => {
      const fh = await this.file;
      try {
        if (fh === null || this.error !== null) return;
        // The file's size is known only once it is open: what lies beyond maxBytes is not written.
        const room = this.room - this.written;
        const n = Math.min(data.length, room);
        for (let at = 0; at < n;) at += (await fh.write(data, at, n - at)).bytesWritten;
        this.written += n;
        if (n < data.length) this.stop('max-bytes');
      } catch (err) {
        this.fail(err);
      } finally {
        this.pending -= data.length;
      }
    });
  }

  private fillAndStop(buf: Buffer, start: number, end: number): void {
    const n = Math.max(0, end - start);
    if (this.len + n > this.buf.length) this.flush();
    if (n > 0 && this.stopped === null) {
      // after a flush the buffer is empty; only a payload larger than a whole buffer needs more
      if (n > this.buf.length - this.len) this.buf = Buffer.allocUnsafeSlow(n);
      buf.copy(this.buf, this.len, start, end);
      this.len += n;
      this.bytes += n;
    }
    this.flush();
    this.stop('max-bytes');
  }

  /** Stops taking data; the file is closed once what was handed over is written. Once. */
  private stop(why: string): void {
    if (this.stopped !== null) return;
    this.stopped = why;
    clearInterval(this.timer);
    this.len = 0;
    this.finish();
    const report = this.options.onStopped;
    if (report) queueMicrotask(() => report({ why, path: this.path, bytes: this.bytes }));
  }

  /** After every write handed over: fsync and close (once). */
  private finish(): void {
    this.finished ??= this.queue.then(async () => {
      const fh = await this.file;
      if (fh === null) return;
      try {
        await fh.sync();
      } catch (err) {
        this.fail(err);
      }
      await fh.close().catch(() => undefined);
    });
  }

  private fail(err: unknown): void {
    if (this.error !== null) return;
    const e = err as NodeJS.ErrnoException;
    this.error = e instanceof Error ? e.message : String(err);
    this.stop(`disk-error: ${e?.code ?? 'EIO'}`);
  }
}
