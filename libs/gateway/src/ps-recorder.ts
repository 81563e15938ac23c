import type { PsPayloadInfo, PsSink } from '@app/rtp';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

const BUFFER_BYTES = 256 * 1024;
const FLUSH_EVERY_MS = 1000;

/**
 * Writes a lease's program stream to its `.ps` file. Payloads are copied into a 256 KB buffer;
 * a full buffer (or, at most a second later, a partial one) is written asynchronously, in
 * order, so the socket's receive path never waits for the disk. `close()` writes what is
 * left, fsyncs and closes the file: the file is complete when it resolves.
 *
 * The file is opened for appending: a lease resumed after a restart continues its recording.
 * A disk error stops the recording (reported in `error`), never the stream or the process.
 */
export class PsRecorder implements PsSink {
  bytes = 0;
  error: string | null = null;
  private buf: Buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  private len = 0;
  private readonly file: Promise<FileHandle | null>;
  /** the chain of writes, in order; never rejects */
  private queue: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(readonly path: string) {
    this.file = mkdir(dirname(path), { recursive: true })
      .then(() => open(path, 'a'))
      .catch((err) => {
        this.fail(err);
        return null;
      });
    this.queue = this.file.then(() => undefined);
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  write(buf: Buffer, start: number, end: number, _info: Readonly<PsPayloadInfo>): void {
    if (this.closed || this.error !== null) return;
    const n = end - start;
    if (this.len + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafeSlow(n);
    }
    buf.copy(this.buf, this.len, start, end);
    this.len += n;
    this.bytes += n;
  }

  /** Hands the buffered bytes to the disk (asynchronously) and starts a fresh buffer. */
  flush(): void {
    if (this.len === 0 || this.error !== null) return;
    const data = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafeSlow(BUFFER_BYTES);
    this.len = 0;
    this.queue = this.queue.then(async () => {
      const fh = await this.file;
      if (fh === null || this.error !== null) return;
      try {
        for (let at = 0; at < data.length; ) at += (await fh.write(data, at, data.length - at)).bytesWritten;
      } catch (err) {
        this.fail(err);
      }
    });
  }

  /** Writes the rest, fsyncs and closes; resolves once the file is complete on disk. */
  async close(): Promise<void> {
    if (this.closed) return this.queue;
    clearInterval(this.timer);
    this.flush();
    this.closed = true;
    this.queue = this.queue.then(async () => {
      const fh = await this.file;
      if (fh === null) return;
      try {
        await fh.sync();
      } catch (err) {
        this.fail(err);
      }
      await fh.close().catch(() => undefined);
    });
    return this.queue;
  }

  private fail(err: unknown): void {
    this.error ??= err instanceof Error ? err.message : String(err);
  }
}
