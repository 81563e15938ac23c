import type { NodeHolder } from '@app/ledger';
import { readFileSync } from 'node:fs';

export type { NodeHolder };

export interface Me {
  host: string;
  pid: number;
  instanceId: string;
}

/**
 * Whether the recorded holder is certainly gone, so that its node may be taken now:
 * - no row, or our own instance;
 * - its heartbeat is older than the stale window (a live holder refreshes it well within);
 * - it ran on this host and its pid is no longer a live process (kill -9, crash), or it was
 *   this very process (an earlier instance, in tests).
 * Otherwise (another host, or a live pid here that may be a reused pid) it may be alive.
 */
export function holderIsGone(
  holder: NodeHolder | null,
  me: Me,
  now: number,
  staleMs: number,
  pidAlive: (pid: number) => boolean = processAlive,
): boolean {
  if (holder === null || holder.instanceId === me.instanceId) return true;
  if (now - holder.heartbeatAt >= staleMs) return true;
  if (holder.host !== me.host) return false;
  return holder.pid === me.pid || !pidAlive(holder.pid);
}

/** `NODE_ID "x" is held by host (pid N) …`: what a refused start says. */
export function heldMessage(nodeId: string, holder: NodeHolder | null, now: number): string {
  if (holder === null)
    return `NODE_ID "${nodeId}" is held by another process on this ledger (its host is not recorded yet); stop it, or give this process another NODE_ID`;
  const ago = Math.max(0, Math.round((now - holder.heartbeatAt) / 1000));
  return (
    `NODE_ID "${nodeId}" is held by ${holder.host} (pid ${holder.pid}) since ${new Date(holder.acquiredAt).toISOString()}, ` +
    `last heartbeat ${ago} s ago; stop that process, or give this one another NODE_ID`
  );
}

/** A live (not zombie) process of this pid namespace. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) S ...": the state follows the last ')'; Z (zombie) and X (dead) are gone.
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}
