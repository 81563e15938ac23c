import { setTimeout as sleep } from 'node:timers/promises';

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export interface WaitOptions {
  /** give up after this long (generous: the machine running the tests may be loaded) */
  timeoutMs?: number;
  /** pause between probes; short only where the state to catch is short-lived */
  everyMs?: number;
}

/**
 * The one bounded poll of the tests: tests wait for states, never assert timing. Probes until
 * `probe` returns a truthy value (which it resolves to) or stops throwing (an `expect` inside
 * may fail while the state is not there yet). On timeout it fails naming `what` and the last
 * value or error the probe gave.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, options: number | WaitOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 15_000, everyMs = 25 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as Truthy<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    }
    await sleep(everyMs);
  }
}
