import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux x86-64

/**
 * CPU time (user + system, every thread) a process has used so far, in ms, from
 * /proc/<pid>/stat. On a shared machine this is far steadier than throughput: it counts what
 * the server spent, not how long it waited for a core.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
