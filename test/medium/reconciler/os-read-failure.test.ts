import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portBlock } from '../../support/port-blocks';
import { listeningPorts } from '../../support/proc-net';
import { tempDir } from '../../support/temp-dir';
import { DB_KINDS } from '../../support/test-databases';
import { findingsOf, startReconciler, type ReconcilerHarness } from '../../support/reconciler-harness';

const FIXTURES = join(__dirname, '../../fixtures/proc');

describe.each(DB_KINDS)('when the OS cannot be read, on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 20 : 21);
  const range = { start: block.start + 200, end: block.start + 219 };
  // A procfs root without net/tcp: the reader fails as it would on a broken or foreign /proc.
  const noProc = tempDir('portledger-noproc-');
  let h: ReconcilerHarness;

  beforeAll(async () => {
    h = await startReconciler(kind, { range, reconciler: { procRoot: noProc.path } });
  });
  afterAll(async () => {
    await h?.destroy();
    noProc.cleanup();
  });

  it('reclaims nothing, still re-opens lost listeners, and says in the report that it deferred', async () => {
    const { lease } = await h.allocate.allocate({ streamId: 'lost-while-blind' });
    await h.loseListener(lease.id);
    const orphanPort = h.pool.pairs.freeInOrder()[0];
    const orphan = '00000000-0000-4000-8000-0000000000cc';
    await h.openOrphan(orphan, orphanPort);
    const quarantined = h.pool.pairs.freeInOrder()[0];
    await h.quarantine.quarantine(quarantined, 'bind-failed: EADDRINUSE');

    const reports = [];
    for (let i = 0; i < 3; i++) reports.push(await h.reconciler.reconcileOnce());
    for (const r of reports) {
      expect(r.deferred).toBe(true);
      expect(r.osReadError).toContain('net/tcp');
    }
    expect(findingsOf(reports[1], 'ghost-lease')).toEqual([['re-opened', lease.rtpPort, lease.id]]);
    expect(listeningPorts(lease.rtpPort, lease.rtcpPort)).toEqual([lease.rtpPort, lease.rtcpPort]);
    expect(reports.map((r) => findingsOf(r, 'orphan-listener'))).toEqual([
      [['pending', orphanPort, orphan]],
      [['deferred', orphanPort, orphan]],
      [['deferred', orphanPort, orphan]],
    ]);
    expect(listeningPorts(orphanPort, orphanPort + 1)).toEqual([orphanPort, orphanPort + 1]);
    expect(reports.flatMap((r) => findingsOf(r, 'quarantine-cleared'))).toEqual([]);
    expect(h.pool.pairs.statusOf(quarantined)).toBe('quarantined');
    expect((await h.queries.get(lease.id)).lease.state).toBe('listening');
  });
});

describe.each(DB_KINDS)('when the OS view looks inconsistent, on %s', (kind) => {
  const block = portBlock(kind === 'sqlite' ? 20 : 21);
  const range = { start: block.start + 240, end: block.start + 259 };
  // A readable net/tcp whose lines are torn (as the torn-tcp fixture, moved into our range).
  const torn = tempDir('portledger-tornproc-');
  let h: ReconcilerHarness;

  beforeAll(async () => {
    const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
    const text = readFileSync(join(FIXTURES, 'torn-tcp.txt'), 'utf8')
      .replace(':5DC0 ', `:${hex(range.start)} `)
      .replace(':5DC2 ', `:${hex(range.start + 2)} `);
    mkdirSync(join(torn.path, 'net'));
    writeFileSync(join(torn.path, 'net/tcp'), text);
    copyFileSync(join(FIXTURES, 'header-only-tcp6.txt'), join(torn.path, 'net/tcp6'));
    copyFileSync(join(FIXTURES, 'header-only-udp.txt'), join(torn.path, 'net/udp'));
    copyFileSync(join(FIXTURES, 'header-only-udp6.txt'), join(torn.path, 'net/udp6'));
    symlinkSync('/proc/self', join(torn.path, 'self'));
    h = await startReconciler(kind, { range, reconciler: { procRoot: torn.path } });
  });
  afterAll(async () => {
    await h?.destroy();
    torn.cleanup();
  });

  it('defers every reclaim of the pass', async () => {
    const orphan = '00000000-0000-4000-8000-0000000000dd';
    const port = range.start + 8;
    await h.openOrphan(orphan, port);
    const reports = [await h.reconciler.reconcileOnce(), await h.reconciler.reconcileOnce()];
    expect(reports.map((r) => [r.deferred, r.osReadError])).toEqual([
      [true, 'the socket tables have 2 unreadable lines'],
      [true, 'the socket tables have 2 unreadable lines'],
    ]);
    expect(findingsOf(reports[1], 'orphan-listener')).toEqual([['deferred', port, orphan]]);
    expect(listeningPorts(port, port + 1)).toEqual([port, port + 1]);
  });
});
