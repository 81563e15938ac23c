import { readFile } from 'node:fs/promises';

/**
 * Linux hands out ports in ip_local_port_range to *outgoing* connections (docs/ARCHITECTURE.md#invariants, rule 4); a
 * media range inside it is stolen by ordinary traffic unless those ports are reserved.
 * Pure: takes the two sysctl texts, returns a warning or null.
 */
export function ephemeralOverlapWarning(range: { start: number; end: number }, portRangeText: string, reservedText: string): string | null {
  const m = /^\s*(\d+)\s+(\d+)/.exec(portRangeText);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  const reserved = parseReserved(reservedText);
  const exposed: number[] = [];
  for (let p = Math.max(lo, range.start); p <= Math.min(hi, range.end); p++) if (!reserved(p)) exposed.push(p);
  if (exposed.length === 0) return null;
  const span = `${range.start}-${range.end}`;
  return (
    `MEDIA_PORT_RANGE ${span} overlaps the kernel's ephemeral range ${lo}-${hi} on ${exposed.length} ports ` +
    `(${exposed[0]}-${exposed[exposed.length - 1]}): outgoing connections can take them. ` +
    `Reserve them with: sysctl -w net.ipv4.ip_local_reserved_ports=${span} (or move the range below ${lo}).`
  );
}

function parseReserved(text: string): (port: number) => boolean {
  const spans: Array<[number, number]> = [];
  for (const part of text.trim().split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (m) spans.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return (p) => spans.some(([a, b]) => p >= a && p <= b);
}

export async function readEphemeralOverlapWarning(range: { start: number; end: number }): Promise<string | null> {
  try {
    const [ports, reserved] = await Promise.all([
      readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
      readFile('/proc/sys/net/ipv4/ip_local_reserved_ports', 'utf8').catch(() => ''),
    ]);
    return ephemeralOverlapWarning(range, ports, reserved);
  } catch {
    return null;
  }
}
