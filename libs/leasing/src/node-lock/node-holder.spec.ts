import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { heldMessage, holderIsGone, processAlive, type Me, type NodeHolder } from './node-holder';

const NOW = 1_800_000_000_000;
const STALE = 6000;
const me: Me = { host: 'media-1', pid: 4242, instanceId: 'me' };
const holder = (over: Partial<NodeHolder> = {}): NodeHolder => ({
  nodeId: 'n1',
  host: 'media-1',
  pid: 777,
  instanceId: 'other',
  acquiredAt: NOW - 60_000,
  heartbeatAt: NOW - 1000,
  ...over,
});
const alive = () => true;
const dead = () => false;

describe('whether the recorded holder of a NODE_ID is gone', () => {
  it('is gone when there is no row, or the row is ours', () => {
    expect(holderIsGone(null, me, NOW, STALE, alive)).toBe(true);
    expect(holderIsGone(holder({ instanceId: 'me' }), me, NOW, STALE, alive)).toBe(true);
  });

  it('is gone on this host once its pid is dead (kill -9): no stale window to wait out', () => {
    expect(holderIsGone(holder(), me, NOW, STALE, dead)).toBe(true);
    expect(holderIsGone(holder({ pid: me.pid }), me, NOW, STALE, alive)).toBe(true);
  });

  it('may be alive on another host, or under a live pid here, until its heartbeat is stale', () => {
    expect(holderIsGone(holder({ host: 'media-2' }), me, NOW, STALE, dead)).toBe(false);
    expect(holderIsGone(holder(), me, NOW, STALE, alive)).toBe(false);
    expect(holderIsGone(holder({ host: 'media-2', heartbeatAt: NOW - STALE }), me, NOW, STALE, alive)).toBe(true);
  });

  it('names the NODE_ID, the host and the pid when a start is refused', () => {
    expect(heldMessage('n1', holder(), NOW)).toBe(
      `NODE_ID "n1" is held by media-1 (pid 777) since ${new Date(NOW - 60_000).toISOString()}, last heartbeat 1 s ago; stop that process, or give this one another NODE_ID`,
    );
    expect(heldMessage('n1', null, NOW)).toContain('NODE_ID "n1" is held by another process');
  });

  it('tells live processes from dead ones and zombies', () => {
    expect(processAlive(process.pid)).toBe(true);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(processAlive(gone)).toBe(false);
  });
});
