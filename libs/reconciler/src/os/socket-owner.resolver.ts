import type { PortOwner } from '@app/leasing';
import { Inject, Injectable } from '@nestjs/common';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RECONCILER_OPTIONS, type ResolvedReconcilerOptions } from '../reconciler.options';
import { forEachBounded } from './os-socket-reader';

const MAX_COMMAND = 200;

/**
 * Finds which process holds a socket, by walking /proc/<pid>/fd for its inode. Costly on a
 * busy host, so it runs only for sockets about to be reported as foreign. A process whose fd
 * directory may not be read (another user, without CAP_SYS_PTRACE) leaves pid and command
 * null; the uid from the TCP table still says who it is.
 */
@Injectable()
export class SocketOwnerResolver {
  constructor(@Inject(RECONCILER_OPTIONS) private readonly options: ResolvedReconcilerOptions) {}

  async resolve(sockets: ReadonlyArray<{ inode: number; uid: number }>): Promise<Map<number, PortOwner>> {
    const owners = new Map<number, PortOwner>(sockets.map((s) => [s.inode, { pid: null, command: null, uid: s.uid }]));
    const wanted = new Map(sockets.map((s) => [`socket:[${s.inode}]`, s.inode]));
    if (wanted.size === 0) return owners;
    const root = this.options.procRoot;
    const pids = (await readdir(root).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
    await forEachBounded(pids, 8, async (pid) => {
      if (wanted.size === 0) return;
      const fds = await readdir(join(root, pid, 'fd')).catch(() => [] as string[]);
      for (const fd of fds) {
        if (wanted.size === 0) return;
        const link = await readlink(join(root, pid, 'fd', fd)).catch(() => null);
        const inode = link === null ? undefined : wanted.get(link);
        if (inode === undefined) continue;
        wanted.delete(link as string);
        const owner = owners.get(inode) as PortOwner;
        owner.pid = Number(pid);
        owner.command = await commandOf(join(root, pid));
      }
    });
    return owners;
  }
}

async function commandOf(procDir: string): Promise<string | null> {
  const cmdline = await readFile(join(procDir, 'cmdline'), 'utf8').catch(() => '');
  const text = cmdline.split('\0').filter(Boolean).join(' ').trim();
  if (text) return text.length > MAX_COMMAND ? `${text.slice(0, MAX_COMMAND - 1)}…` : text;
  const comm = await readFile(join(procDir, 'comm'), 'utf8').catch(() => '');
  return comm.trim() || null;
}
