import { appendFileSync, statSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * Benchmark aid, off unless PORTLEDGER_BENCH_EVENTLOOP_FILE names a file. Once a second it
 * appends `{"at","p50","p99","max","count"}` (milliseconds) to the file: the event-loop delay
 * since the file was last found empty. A benchmark truncates the file to start a measurement
 * window and reads the last line at its end. No API change, nothing when the variable is unset.
 */
export class EventLoopProbe {
  private histogram: IntervalHistogram | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly file: string) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): EventLoopProbe | null {
    const file = env.PORTLEDGER_BENCH_EVENTLOOP_FILE;
    return file ? new EventLoopProbe(file) : null;
  }

  start(): void {
    if (this.histogram) return;
    const h = (this.histogram = monitorEventLoopDelay({ resolution: 5 }));
    h.enable();
    this.timer = setInterval(() => {
      try {
        if (size(this.file) === 0) h.reset();
        const ms = (ns: number) => Math.round(ns / 1e4) / 100;
        const line = { at: Date.now(), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), count: h.count };
        appendFileSync(this.file, JSON.stringify(line) + '\n');
      } catch {
        // a benchmark aid must never disturb the service
      }
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.histogram?.disable();
    this.timer = null;
    this.histogram = null;
  }
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
