import type { PsPayloadInfo } from '@app/rtp';
import { describe, expect, it } from 'vitest';
import { PsFanout, type LiveEndReason, type PsSubscriber } from './ps-fanout';

const PACK = [0, 0, 1, 0xba];

class FakeClient implements PsSubscriber {
  bytes: number[] = [];
  ended: LiveEndReason | null = null;
  queued = 0;
  push(chunk: Buffer): void {
    this.bytes.push(...chunk);
  }
  backlog(): number {
    return this.queued;
  }
  end(reason: LiveEndReason): void {
    this.ended = reason;
  }
}

function info(over: Partial<PsPayloadInfo> = {}): PsPayloadInfo {
  return { ssrc: 1, sequence: 0, timestamp: 0, marker: false, packStart: false, keyframe: false, discontinuity: false, ...over };
}

/** Feeds one payload the way the ingest does (a view into a larger buffer), then flushes like one socket chunk. */
function feed(f: PsFanout, payload: number[], over: Partial<PsPayloadInfo> = {}, flush = true): void {
  const buf = Buffer.from([9, 9, ...payload, 9]);
  f.write(buf, 2, 2 + payload.length, info({ packStart: payload.slice(0, 4).join() === PACK.join(), ...over }));
  if (flush) f.flush();
}

describe('PsFanout (live pull fan-out)', () => {
  it('starts a client at the next pack start and passes the bytes on unchanged', () => {
    const f = new PsFanout(1 << 20);
    const c = new FakeClient();
    f.add(c);
    feed(f, [1, 2, 3]);
    feed(f, [...PACK, 4], {}, false);
    feed(f, [5, 6]);
    expect(c.bytes).toEqual([...PACK, 4, 5, 6]);
  });

  it('once the stream has shown a keyframe, a new client waits for the next keyframe pack', () => {
    const f = new PsFanout(1 << 20);
    feed(f, [...PACK, 1], { keyframe: true });
    const c = new FakeClient();
    f.add(c);
    feed(f, [...PACK, 2]);
    feed(f, [...PACK, 3], { keyframe: true });
    feed(f, [7]);
    expect(c.bytes).toEqual([...PACK, 3, 7]);
  });

  it('gives clients that joined at different packs their own start within one batch', () => {
    const f = new PsFanout(1 << 20);
    const a = new FakeClient();
    f.add(a);
    feed(f, [...PACK, 1], {}, false);
    const b = new FakeClient();
    f.add(b);
    feed(f, [...PACK, 2], {}, false);
    feed(f, [3]);
    expect(a.bytes).toEqual([...PACK, 1, ...PACK, 2, 3]);
    expect(b.bytes).toEqual([...PACK, 2, 3]);
  });

  it('drops a client whose backlog is over the bound, and keeps serving the others', () => {
    const f = new PsFanout(100);
    const slow = new FakeClient();
    const fast = new FakeClient();
    f.add(slow);
    f.add(fast);
    feed(f, [...PACK, 1]);
    slow.queued = 101;
    feed(f, [2]);
    feed(f, [3]);
    expect(slow.ended).toBe('too-slow');
    expect(slow.bytes).toEqual([...PACK, 1]);
    expect(fast.bytes).toEqual([...PACK, 1, 2, 3]);
    expect(f.size).toBe(1);
  });

  it('asks a backlog only after a push that did not vouch for a short queue, and still drops the slow client', () => {
    const f = new PsFanout(1 << 20);
    let asked = 0;
    let queued = 0;
    let short = true;
    let ended: LiveEndReason | null = null;
    f.add({ push: () => short, backlog: () => (asked++, queued), end: (r) => (ended = r) });
    feed(f, [...PACK, 1]);
    feed(f, [2]);
    feed(f, [3]);
    expect(asked).toBe(1); // before the first hand-over only
    short = false;
    feed(f, [4]);
    queued = (1 << 20) + 1;
    feed(f, [5]);
    expect(asked).toBe(2);
    expect(ended).toBe('too-slow');
  });

  it('after a discontinuity skips to the next pack start', () => {
    const f = new PsFanout(1 << 20);
    const c = new FakeClient();
    f.add(c);
    feed(f, [...PACK, 1]);
    feed(f, [2], { discontinuity: true });
    feed(f, [...PACK, 3]);
    expect(c.bytes).toEqual([...PACK, 1, ...PACK, 3]);
  });

  it('ends every client when the lease ends, after handing over what was pending', () => {
    const f = new PsFanout(1 << 20);
    const c = new FakeClient();
    const unsubscribe = f.add(c);
    const gone = new FakeClient();
    f.add(gone)();
    feed(f, [...PACK, 1], {}, false);
    f.endAll('lease-ended');
    expect(c.bytes).toEqual([...PACK, 1]);
    expect(c.ended).toBe('lease-ended');
    expect(gone.ended).toBeNull();
    unsubscribe();
    expect(f.size).toBe(0);
  });

  it('copies nothing while nobody is subscribed, and crosses slab boundaries intact', () => {
    const f = new PsFanout(1 << 30);
    feed(f, [...PACK, 1]);
    const c = new FakeClient();
    f.add(c);
    const big = Array.from({ length: 40_000 }, (_, i) => i & 0xff);
    feed(f, [...PACK, ...big], {}, false);
    feed(f, big, {}, false);
    feed(f, big);
    expect(c.bytes.length).toBe(4 + 3 * big.length);
    expect(Buffer.from(c.bytes).equals(Buffer.from([...PACK, ...big, ...big, ...big]))).toBe(true);
  });

  it('hands a batch of several packets over in one piece, also where a slab fills up', () => {
    const f = new PsFanout(1 << 30);
    const pushes: number[] = [];
    f.add({ push: (chunk) => void pushes.push(chunk.length), backlog: () => 0, end: () => undefined });
    feed(f, [...PACK, 0]);
    pushes.length = 0;
    const packet = Array.from({ length: 2_400 }, (_, i) => i & 0xff);
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 4; i++) feed(f, packet, {}, false);
      feed(f, packet); // 12 KB: five packets, then the socket chunk's flush
    }
    expect(pushes).toEqual(Array.from({ length: 20 }, () => 5 * packet.length));
  });

  it('reuses a slab only after every hand-over of it was written out, and never changes bytes still being written', () => {
    const f = new PsFanout(1 << 30);
    const held: Array<{ chunk: Buffer; copy: Buffer; written: () => void }> = [];
    const slow: PsSubscriber = {
      push: (chunk, written) => void held.push({ chunk, copy: Buffer.from(chunk), written }),
      backlog: () => 0,
      end: () => undefined,
    };
    const fast: PsSubscriber = { push: (_chunk, written) => written(), backlog: () => 0, end: () => undefined };
    f.add(slow);
    f.add(fast);
    const payload = (i: number) => Array.from({ length: 20_000 }, (_, j) => (i * 7 + j) & 0xff);
    feed(f, [...PACK, 0]);
    for (let i = 1; i <= 20; i++) feed(f, payload(i)); // ~6 slabs, all still held by `slow`
    for (const h of held) expect(h.chunk.equals(h.copy)).toBe(true);
    const usedWhileHeld = new Set(held.map((h) => h.chunk.buffer));

    for (const h of held.splice(0)) h.written(); // `slow` caught up: the sealed slabs may be reused
    for (let i = 21; i <= 40; i++) feed(f, payload(i));
    for (const h of held) expect(h.chunk.equals(h.copy)).toBe(true);
    expect(held.some((h) => usedWhileHeld.has(h.chunk.buffer))).toBe(true);
  });
});
