/**
 * Test files run in parallel, so each one that opens sockets owns a block of 400 ports.
 * Blocks lie in 10000-29999: below the kernel's ephemeral range (32768-60999), so outgoing
 * connections of the tests themselves never land on a port a test expects to be free, and
 * below the service's default range (30000-30999), so a developer's running service is never hit.
 *
 * Pass a number that no other test file uses (grep for `portBlock(`). Block 39 is refused:
 * it holds 25672, where RabbitMQ (a service this machine runs) listens. Benchmarks use
 * 29600-29999, above the last block. Blocks 50-58 lie in 6400-9999, above the ports of the
 * services this machine runs (PostgreSQL 5432, Redis 6379, ...) and as far below the
 * ephemeral range.
 */
export interface PortBlock {
  /** first port of the block */
  start: number;
  /** last port of the block (inclusive) */
  end: number;
  /** a media range of `pairs` pairs at the start of the block, as MEDIA_PORT_RANGE text */
  range(pairs: number, offset?: number): string;
  /** a port near the end of the block for HTTP (index 0..9) */
  http(index?: number): number;
}

export function portBlock(n: number): PortBlock {
  if (!Number.isInteger(n) || n < 0 || n > 58 || n === 49) throw new Error(`port block ${n} out of 0..48 and 50..58`);
  if (n === 39) throw new Error('port block 39 holds 25672 (RabbitMQ on this machine); pick another');
  const start = n < 49 ? 10000 + n * 400 : 6400 + (n - 50) * 400;
  const end = start + 399;
  return {
    start,
    end,
    range(pairs: number, offset = 0) {
      const first = start + offset;
      const last = first + pairs * 2 - 1;
      if (last > end - 10) throw new Error(`range of ${pairs} pairs does not fit block ${n}`);
      return `${first}-${last}`;
    },
    http(index = 0) {
      return end - index;
    },
  };
}

/** `{start, end}` of a media range, for in-process options. */
export function rangeOf(text: string): { start: number; end: number } {
  const [start, end] = text.split('-').map(Number);
  return { start, end };
}
