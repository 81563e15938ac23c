import type { PsPayloadInfo, PsSink } from '@app/rtp';

/** Why a live pull ended. */
export type LiveEndReason = 'lease-ended' | 'too-slow';

/**
 * One live-pull client as the gateway sees it: somewhere to queue bytes that never blocks,
 * how much is still queued, and how to end it. The HTTP controller adapts a response to this.
 */
export interface PsSubscriber {
  /**
   * Queues bytes for the client. The buffer is shared with other clients: do not modify it.
   * Call `written` once the bytes are no longer needed (written out, or the write failed):
   * only then may the fan-out reuse their memory. A subscriber that never calls it only costs
   * that reuse.
   *
   * May return `true` when what the client has queued is still under its high-water mark
   * (what a Writable's `write` returns; at most TRUSTED_MARK_BYTES): the fan-out then does not
   * ask `backlog()` before the next hand-over. Anything else (false, nothing) means: ask.
   */
  push(chunk: Buffer, written: () => void): boolean | void;
  /** Bytes queued but not yet taken by the client (for an HTTP response: `writableLength`). */
  backlog(): number;
  /** The stream ended for this client. Called once. */
  end(reason: LiveEndReason): void;
}

/**
 * A subscriber's `push` returning true vouches for a queue under this (a Node HTTP response's
 * high-water mark is 16-64 KiB). Reading `writableLength` before every hand-over was 4 % of the
 * service's time at 750 pulls; a fan-out whose `maxBacklog` is below this asks every time.
 */
export const TRUSTED_MARK_BYTES = 1 << 20;

const WAITING = 0;
const OPEN = 1;
/** Slab size for the payload copies shared by all clients of a lease. */
const SLAB_BYTES = 64 * 1024;
/**
 * Slabs whose every hand-over has been written out are kept for reuse (up to 16 MB): at 750
 * pulls of 2 Mb/s streams a fresh slab per 64 KB was ~190 MB/s of buffers for the garbage
 * collector, the largest share of the service's CPU after the writes themselves.
 */
const SPARE_SLABS_MAX = 256;
const spareSlabs: Buffer[] = [];

/** A slab and the hand-overs of it not yet written out. */
interface Slab {
  buf: Buffer;
  pending: number;
  /** no more bytes go into it (a newer slab took over, or the fan-out ended) */
  sealed: boolean;
}

function newSlab(minBytes: number): Slab {
  const buf = minBytes <= SLAB_BYTES ? (spareSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES)) : Buffer.allocUnsafeSlow(minBytes);
  return { buf, pending: 0, sealed: false };
}

function seal(slab: Slab | null): void {
  if (slab === null) return;
  slab.sealed = true;
  recycle(slab);
}

function recycle(slab: Slab): void {
  if (slab.sealed && slab.pending === 0 && slab.buf.length === SLAB_BYTES && spareSlabs.length < SPARE_SLABS_MAX) {
    spareSlabs.push(slab.buf);
    slab.pending = -1; // never again
  }
}

/** A hand-over of `slab`: its bytes stay untouched until `written` has run. */
function handOver(slab: Slab): () => void {
  slab.pending++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    slab.pending--;
    recycle(slab);
  };
}
/** A client that joined waits this long for a keyframe pack before taking any pack start. */
const KEYFRAME_WAIT_MS = 10_000;
/**
 * Bytes gathered before they are handed to the clients. Handing over each socket chunk (a
 * few KB) would cost every client a write system call per chunk; batches of 32 KB cut that
 * tenfold at 2 Mb/s. A batch is also handed over once it is FLUSH_AFTER_MS old, by the
 * lease's own next socket chunk: the hand-overs of many leases spread over time with their
 * streams. A shared timer (every STALE_CHECK_MS) hands over only batches that have aged
 * STALE_AFTER_MS without a chunk to carry them (a paused stream), so a client waits at most
 * ~70 ms for bytes that arrived. (One timer flushing every lease at once did 750 writes in one
 * callback at 750 pulls: a 20 ms block of the event loop every 40 ms.)
 */
const BATCH_BYTES = 32 * 1024;
const FLUSH_AFTER_MS = 40;
const STALE_CHECK_MS = 10;
/**
 * Older than FLUSH_AFTER_MS by a margin: a flowing stream's next chunk (every 10-40 ms) takes its
 * batch first. At the bare 40 ms the timer took about a third of the batches at 750 pulls just
 * before their chunk arrived, each one chunk short, which made a quarter more writes of them.
 */
const STALE_AFTER_MS = FLUSH_AFTER_MS + 20;
/**
 * Hand-overs one run of the shared timer makes at most; the next run goes on where it stopped.
 * When the event loop fell behind (a GC pause, the process waiting for a core) every lease's
 * batch is past 40 ms at once, and one run writing to all 750 pulls blocked the loop for
 * ~20 ms just when it was late already; the leases whose chunks are waiting to be read are
 * handed over by those chunks anyway.
 */
const STALE_FLUSHES_PER_RUN = 64;

/**
 * While the event loop runs late, batches grow by its lateness (at most this much): at 750
 * pulls the writes were about half of the service's time, and a loop that is late because the
 * process waits for a core or is itself saturated gets through its backlog sooner with fewer,
 * larger writes. The lateness is the shared timer's own (a decaying maximum), so batches go
 * back to FLUSH_AFTER_MS within about a tenth of a second once the loop is on time.
 */
const LATE_EXTRA_MAX_MS = 60;
/** how late the shared timer ran lately (ms, decaying maximum); 0 while no fan-out is live */
let lateMs = 0;
/** performance.now() at the shared timer's last run (0: not running) */
let lastStaleRun = 0;

/** Fan-outs with at least one client, checked by one shared timer. */
const live: PsFanout[] = [];
let liveTimer: NodeJS.Timeout | null = null;
/** where the shared timer's next run starts in `live` */
let liveCursor = 0;

function track(f: PsFanout, on: boolean): void {
  const i = live.indexOf(f);
  if (on && i < 0) live.push(f);
  else if (!on && i >= 0) {
    live.splice(i, 1);
    if (liveCursor > i) liveCursor--;
  }
  if (live.length > 0 && liveTimer === null) {
    liveTimer = setInterval(flushStale, STALE_CHECK_MS).unref();
  } else if (live.length === 0 && liveTimer !== null) {
    clearInterval(liveTimer);
    liveTimer = null;
    lateMs = 0;
    lastStaleRun = 0;
  }
}

/** The shared timer: at most STALE_FLUSHES_PER_RUN hand-overs, round robin over the fan-outs. */
function flushStale(): void {
  const t = performance.now();
  if (lastStaleRun > 0) lateMs = Math.max(t - lastStaleRun - STALE_CHECK_MS, lateMs * 0.9);
  lastStaleRun = t;
  const n = live.length;
  let flushes = 0;
  for (let k = 0; k < n && flushes < STALE_FLUSHES_PER_RUN; k++) {
    if (liveCursor >= live.length) liveCursor = 0;
    if (live[liveCursor++].flushIfStale()) flushes++;
  }
}

/** What a batch may age beyond FLUSH_AFTER_MS while the loop runs late. */
function lateExtraMs(): number {
  return lateMs < LATE_EXTRA_MAX_MS ? lateMs : LATE_EXTRA_MAX_MS;
}

interface Client {
  sub: PsSubscriber;
  state: number;
  /** slab offset where this client's bytes begin in the current batch (OPEN), or -1 */
  from: number;
  /** wait for a keyframe pack (false: any pack start) */
  needKeyframe: boolean;
  joinedAt: number;
  /** its last push did not vouch for a short queue: ask its backlog before the next one */
  ask: boolean;
}

/**
 * The live pull's fan-out: a PsSink on the lease's ingest that copies each payload once into
 * a shared slab and hands every client one view of the new bytes per batch (32 KB, or once
 * the batch is 40 ms old). Nothing is copied while nobody is subscribed.
 *
 * Start point: no GOP cache (it would cost a GOP, ~0.5 MB at 2 Mb/s, per session whether or
 * not anyone pulls). A client starts at the next pack that begins a keyframe, once this
 * lease's stream has shown one; otherwise, or after waiting 10 s, at the next pack start.
 * After a discontinuity (packet loss, device reconnect) open clients skip to the next pack.
 *
 * Back-pressure: a client whose backlog exceeds `maxBacklog` is ended `too-slow`; the device
 * and the other clients never wait for it.
 */
export class PsFanout implements PsSink {
  private clients: Client[] = [];
  private slab: Slab | null = null;
  private offset = 0;
  private batchStart = 0;
  private sawKeyframe = false;
  private waiting = 0;
  /** now() when the first byte of the pending batch arrived */
  private batchSince = 0;
  /** a push's `true` is enough to skip the next backlog check (see TRUSTED_MARK_BYTES) */
  private readonly trustPush: boolean;

  constructor(
    private readonly maxBacklog: number,
    private readonly now: () => number = Date.now,
  ) {
    this.trustPush = maxBacklog >= TRUSTED_MARK_BYTES;
  }

  get size(): number {
    return this.clients.length;
  }

  add(sub: PsSubscriber): () => void {
    const client: Client = { sub, state: WAITING, from: -1, needKeyframe: this.sawKeyframe, joinedAt: this.now(), ask: true };
    this.clients = [...this.clients, client];
    this.waiting++;
    track(this, true);
    return () => this.remove(client);
  }

  write(buf: Buffer, start: number, end: number, info: Readonly<PsPayloadInfo>): void {
    if (info.keyframe) this.sawKeyframe = true;
    if (this.clients.length === 0) return;
    if (info.discontinuity) this.discontinuity();
    if (this.waiting > 0 && info.packStart) this.admit(info.keyframe);
    if (this.waiting === this.clients.length) return;
    const n = end - start;
    let slab = this.slab;
    // A batch starts in a fresh slab unless it can grow to BATCH_BYTES where it begins: one cut
    // at the slab's end would leave as two writes to every client (a fifth more writes at 2 Mb/s).
    if (
      slab === null ||
      this.offset + n > slab.buf.length ||
      (this.offset === this.batchStart && slab.buf.length - this.offset < BATCH_BYTES)
    ) {
      this.flush();
      seal(slab);
      slab = this.slab = newSlab(n);
      this.offset = 0;
      this.batchStart = 0;
      for (const c of this.clients) if (c.state === OPEN) c.from = 0;
    }
    if (this.offset === this.batchStart) this.batchSince = this.now();
    buf.copy(slab.buf, this.offset, start, end);
    this.offset += n;
  }

  /** Called after each socket chunk: hands the batch over once it is big enough or old enough. */
  flushIfFull(now = this.now()): void {
    const pending = this.offset - this.batchStart;
    if (pending >= BATCH_BYTES || (pending > 0 && now - this.batchSince >= FLUSH_AFTER_MS + lateExtraMs())) this.flush();
  }

  /** The shared timer: hands over a batch that aged without a socket chunk to carry it (true when it did). */
  flushIfStale(): boolean {
    if (this.offset === this.batchStart || this.now() - this.batchSince < STALE_AFTER_MS + lateExtraMs()) return false;
    this.flush();
    return true;
  }

  /** Hands the bytes gathered since the last flush to every open client; drops slow ones. */
  flush(): void {
    const slab = this.slab;
    if (slab === null || this.offset === this.batchStart) return;
    const to = this.offset;
    let whole: Buffer | null = null;
    for (const c of this.clients) {
      if (c.state !== OPEN) continue;
      const from = c.from < this.batchStart ? this.batchStart : c.from;
      c.from = to;
      if (from >= to) continue;
      if (c.ask && c.sub.backlog() > this.maxBacklog) {
        this.remove(c);
        c.sub.end('too-slow');
        continue;
      }
      const chunk = from === this.batchStart ? (whole ??= slab.buf.subarray(from, to)) : slab.buf.subarray(from, to);
      c.ask = c.sub.push(chunk, handOver(slab)) !== true || !this.trustPush;
    }
    this.batchStart = to;
  }

  /** Packet loss or a new device connection: open clients skip to the next pack start. */
  discontinuity(): void {
    this.flush();
    for (const c of this.clients) {
      if (c.state === OPEN) {
        c.state = WAITING;
        c.needKeyframe = false;
        c.joinedAt = this.now();
        this.waiting++;
      }
    }
  }

  /** Ends every client (the lease ended). */
  endAll(reason: LiveEndReason): void {
    this.flush();
    const clients = this.clients;
    this.clients = [];
    this.waiting = 0;
    seal(this.slab);
    this.slab = null;
    track(this, false);
    for (const c of clients) c.sub.end(reason);
  }

  private admit(keyframe: boolean): void {
    const at = this.offset;
    let now = -1;
    for (const c of this.clients) {
      if (c.state !== WAITING) continue;
      if (c.needKeyframe && !keyframe) {
        if (now < 0) now = this.now();
        if (now - c.joinedAt < KEYFRAME_WAIT_MS) continue;
      }
      c.state = OPEN;
      c.from = at;
      this.waiting--;
    }
  }

  private remove(client: Client): void {
    const i = this.clients.indexOf(client);
    if (i < 0) return;
    if (client.state === WAITING) this.waiting--;
    this.clients = this.clients.filter((c) => c !== client);
    if (this.clients.length === 0) track(this, false);
  }
}
