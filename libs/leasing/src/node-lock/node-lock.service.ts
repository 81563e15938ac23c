import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LedgerDatabase, NodeLockRepository } from '@app/ledger';
import { Clock } from '../domain/clock';
import { NodeIdHeldError } from '../errors/node-id-held.error';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { heldMessage, holderIsGone, type Me, type NodeHolder } from './node-holder';
import { processLockFor, type ProcessLock } from './process-lock';

export const NODE_HEARTBEAT_MS = 2000;
/** A holder whose heartbeat is this old is gone (3 missed heartbeats). */
export const NODE_STALE_MS = 3 * NODE_HEARTBEAT_MS;
/** How long a successor waits for the lock of a holder known to be gone to be dropped (kernel, or the server's keepalive). */
const GONE_HOLDER_GRACE_MS = 45_000;

/**
 * One process per NODE_ID on a ledger. At boot, before any lease is resumed, the process
 * takes the node's process lock (SQLite: an exclusive file lock; PostgreSQL: a session
 * advisory lock) — dropped by the kernel or the server when its holder dies, so a kill -9'd
 * predecessor never locks out its successor for long — and writes the `node_locks` row that
 * names it, refreshed by a heartbeat and deleted at a graceful stop.
 *
 * A second process with the same NODE_ID fails to start with NodeIdHeldError naming the
 * holder's host and pid. A process that finds its row taken over (it was cut off long enough
 * for a successor to take the node) is told through onLost() and must stop.
 */
@Injectable()
export class NodeLock {
  private readonly logger = new Logger(NodeLock.name);
  private readonly me: Me = { host: hostname(), pid: process.pid, instanceId: randomUUID() };
  private lock: ProcessLock | null = null;
  private timer: NodeJS.Timeout | null = null;
  private holding = false;
  private lost: ((why: string) => void) | null = null;

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly db: LedgerDatabase,
    private readonly holders: NodeLockRepository,
    private readonly clock: Clock,
  ) {}

  /** Who to tell when the node was taken over while this process ran (main.ts: shut down). */
  onLost(handler: (why: string) => void): void {
    this.lost = handler;
  }

  /** Takes the node or throws NodeIdHeldError; then heartbeats until release(). */
  async acquire(): Promise<void> {
    const { nodeId } = this.options;
    const lock = processLockFor(this.options.database, nodeId);
    if (lock) await this.takeProcessLock(lock);
    this.lock = lock;
    try {
      await this.waitForFreshHolder();
      const now = this.clock.now();
      await this.db.transaction((tx) => this.holders.take(tx, { nodeId, ...this.me, acquiredAt: now, heartbeatAt: now }));
    } catch (err) {
      await this.lock?.release();
      this.lock = null;
      throw err;
    }
    this.holding = true;
    this.timer = setInterval(() => void this.heartbeat(), NODE_HEARTBEAT_MS);
    this.timer.unref();
    this.logger.log(`NODE_ID "${nodeId}" taken by ${this.me.host} (pid ${this.me.pid})`);
  }

  /** Graceful stop: the row goes at once (only ours), then the process lock. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.holding) {
      this.holding = false;
      await this.db
        .transaction((tx) => this.holders.remove(tx, this.options.nodeId, this.me.instanceId))
        .catch((err) => this.logger.warn(`could not delete the node_locks row: ${err instanceof Error ? err.message : String(err)}`));
    }
    await this.lock?.release();
    this.lock = null;
  }

  /** The lock is held by another process: wait only for one that is certainly gone, else refuse. */
  private async takeProcessLock(lock: ProcessLock): Promise<void> {
    const until = Date.now() + GONE_HOLDER_GRACE_MS;
    for (let announced = false; ;) {
      if (await lock.tryAcquire()) return;
      const holder = await this.readHolderSoon();
      if (!holderIsGone(holder, this.me, this.clock.now(), NODE_STALE_MS) || Date.now() > until) {
        throw new NodeIdHeldError(heldMessage(this.options.nodeId, holder, this.clock.now()));
      }
      if (!announced) this.logger.warn(`NODE_ID "${this.options.nodeId}": its last holder is gone; waiting for its lock to be dropped`);
      announced = true;
      await sleep(250);
    }
  }

  /**
   * Holding the process lock, the row may still name a holder that is alive elsewhere (a
   * PostgreSQL connection of another host broke, dropping its advisory lock). Watch its
   * heartbeat for up to the stale window: if it moves, that process runs: refuse.
   */
  private async waitForFreshHolder(): Promise<void> {
    const first = await this.readHolder();
    for (let holder = first; !holderIsGone(holder, this.me, this.clock.now(), NODE_STALE_MS); holder = await this.readHolder()) {
      if (holder && first && holder.heartbeatAt !== first.heartbeatAt)
        throw new NodeIdHeldError(heldMessage(this.options.nodeId, holder, this.clock.now()));
      await sleep(NODE_HEARTBEAT_MS / 4);
    }
  }

  private async heartbeat(): Promise<void> {
    if (!this.holding) return;
    const { nodeId } = this.options;
    try {
      if (this.lock && !this.lock.held() && !(await this.lock.tryAcquire()))
        return this.loseNode('its process lock is held by another process');
      const ours = await this.db.transaction((tx) => this.holders.beat(tx, nodeId, this.me.instanceId, this.clock.now()));
      if (!ours) {
        const holder = await this.readHolder();
        return this.loseNode(`its node_locks row was taken over: ${heldMessage(nodeId, holder, this.clock.now())}`);
      }
    } catch (err) {
      // The ledger is unreachable: like every other write, the heartbeat waits for it to return.
      this.logger.warn(`NODE_ID "${nodeId}" heartbeat failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private loseNode(why: string): void {
    if (!this.holding) return;
    this.holding = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const message = `NODE_ID "${this.options.nodeId}" lost: ${why}; stopping`;
    this.logger.error(message);
    this.lost?.(message);
  }

  /** The holder as recorded; a holder that took the process lock a moment ago may not have written it yet. */
  private async readHolderSoon(): Promise<NodeHolder | null> {
    for (let i = 0; ; i++) {
      const holder = await this.readHolder();
      if (holder || i >= 8) return holder;
      await sleep(250);
    }
  }

  private readHolder(): Promise<NodeHolder | null> {
    return this.holders.find(this.options.nodeId);
  }
}
