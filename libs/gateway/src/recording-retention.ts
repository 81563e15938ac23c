import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.options';

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

export interface RecordingPruneSummary {
  files: number;
  dirs: number;
}

/**
 * Deletes the recordings (`<RECORD_DIR>/<streamId>/*.ps`) last written before `olderThanMs`,
 * then the stream directories left empty. Only that layout is touched: entries are judged by
 * lstat, so a symlink (to a file or a directory, in or out of RECORD_DIR) is never followed
 * nor deleted, and nothing but `.ps` files and empty directories is ever removed. A recording
 * being written has a fresh mtime (it is flushed every second), so it is never old enough.
 */
export async function pruneRecordings(recordDir: string, olderThanMs: number): Promise<RecordingPruneSummary> {
  const summary: RecordingPruneSummary = { files: 0, dirs: 0 };
  const streams = await readdir(recordDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const stream of streams) {
    if (!stream.isDirectory()) continue;
    const dir = join(recordDir, stream.name);
    const files = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const f of files) {
      if (!f.isFile() || !f.name.endsWith('.ps')) continue;
      const path = join(dir, f.name);
      const st = await lstat(path).catch(() => null);
      if (st === null || !st.isFile() || st.mtimeMs >= olderThanMs) continue;
      if (
        await unlink(path).then(
          () => true,
          () => false,
        )
      )
        summary.files++;
    }
    // Fails (and stays) when anything is left in it, or a recording started meanwhile.
    if (
      await rmdir(dir).then(
        () => true,
        () => false,
      )
    )
      summary.dirs++;
  }
  return summary;
}

/** RECORD_RETENTION_DAYS: prunes RECORD_DIR at start and hourly; off when 0 or RECORD_DIR is unset. */
@Injectable()
export class RecordingRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RecordingRetention.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RecordingPruneSummary> | null = null;

  constructor(@Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions) {}

  onApplicationBootstrap(): void {
    const days = this.options.recordRetentionDays ?? 0;
    if (days <= 0 || !this.options.recordDir) return;
    const tick = () => void this.pruneOnce();
    this.timer = setInterval(tick, HOUR_MS);
    this.timer.unref();
    tick();
  }

  /** One run (or the one already running); never throws. */
  pruneOnce(now = Date.now()): Promise<RecordingPruneSummary> {
    const dir = this.options.recordDir;
    const days = this.options.recordRetentionDays ?? 0;
    if (!dir || days <= 0) return Promise.resolve({ files: 0, dirs: 0 });
    this.running ??= pruneRecordings(dir, now - days * DAY_MS)
      .then((s) => {
        if (s.files > 0)
          this.logger.log(
            `recording retention: deleted ${s.files} recordings older than ${days} days (${s.dirs} empty stream directories)`,
          );
        return s;
      })
      .catch((err) => {
        this.logger.error(`recording retention failed: ${err instanceof Error ? err.message : err}`);
        return { files: 0, dirs: 0 };
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
