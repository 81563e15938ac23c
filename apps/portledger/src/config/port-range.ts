/** An inclusive port range; RTP takes the even port of a pair, RTCP the next odd one. */
export interface PortRange {
  start: number;
  end: number;
}

/** Parses "30000-30999"; returns a reason string when the text is not a usable range. */
export function parsePortRange(text: string): PortRange | string {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return 'must look like START-END, e.g. 30000-30999';
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start < 1 || end > 65535) return 'ports must lie in 1..65535';
  if (start > end) return 'START must not be greater than END';
  const firstEven = start % 2 === 0 ? start : start + 1;
  if (firstEven + 1 > end) return 'must hold at least one even/odd pair (RTP even, RTCP odd)';
  return { start, end };
}
