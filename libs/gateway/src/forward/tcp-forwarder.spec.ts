import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardBudget } from './forward-budget';
import { parseForwardTarget } from './forward-target';
import { DEFAULT_FORWARD_BATCH_MS, FORWARD_BATCH_BYTES } from './forward-ticker';
import { TcpForwarder } from './tcp-forwarder';

/** A 12-byte RTP header and `payload` bytes, RFC 4571-framed (the 2-byte length in front). */
function framed(seq: number, payload: number): Buffer {
  const b = Buffer.alloc(2 + 12 + payload, seq & 0xff);
  b.writeUInt16BE(12 + payload, 0);
  b[2] = 0x80;
  b[3] = 96;
  b.writeUInt16BE(seq, 4);
  b.writeUInt32BE(0x0bebc201, 10);
  return b;
}

const servers: Server[] = [];
const forwarders: TcpForwarder[] = [];
afterEach(async () => {
  await Promise.all(forwarders.splice(0).map((f) => f.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A media server stand-in on an ephemeral loopback port that keeps what it reads; `paused`: it reads nothing until resume(). */
async function receiver(paused = false): Promise<{ url: string; received: () => Buffer; resume: () => void }> {
  const chunks: Buffer[] = [];
  const conns: Socket[] = [];
  const server = createServer((s) => {
    conns.push(s);
    if (paused) s.pause();
    s.on('data', (c: Buffer) => chunks.push(c));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => Buffer.concat(chunks),
    resume: () => conns.forEach((c) => c.resume()),
  };
}

/** A forwarder on a hand-turned clock, already `up` (its first packet opened the connection). */
async function upForwarder(batchMs?: number, paused = false) {
  const r = await receiver(paused);
  const clock = { t: 1_000 };
  const f = new TcpForwarder({
    target: parseForwardTarget(r.url)!,
    ssrc: null,
    bufferBytes: 256 * 1024 * 1024,
    budget: new ForwardBudget(Infinity),
    batchMs,
    now: () => clock.t,
  });
  forwarders.push(f);
  const first = framed(0, 100);
  f.onPacket(first, 2, first.length, false);
  f.flush(clock.t);
  for (let i = 0; i < 200 && f.state !== 'up'; i++) await new Promise((res) => setTimeout(res, 5));
  expect(f.state).toBe('up');
  // What waited while the connection opened went out at the connect.
  expect(f.stats().packets).toBe(1);
  return { f, clock, r };
}

/** One socket read carrying `packets` framed packets of `payload` bytes each, as the ingest hands them over. */
function read(f: TcpForwarder, now: number, from: number, packets: number, payload = 1_000): Buffer {
  const chunk = Buffer.concat(Array.from({ length: packets }, (_, i) => framed(from + i, payload)));
  for (let at = 0; at < chunk.length; at += 2 + 12 + payload) f.onPacket(chunk, at + 2, at + 2 + 12 + payload, false);
  f.flush(now);
  return chunk;
}

describe('TcpForwarder batching (FORWARD_BATCH_MS)', () => {
  it(`gathers a lease's reads for ${DEFAULT_FORWARD_BATCH_MS} ms by default and writes them together, in order`, async () => {
    const { f, clock, r } = await upForwarder();
    const a = read(f, clock.t, 1, 3);
    clock.t += DEFAULT_FORWARD_BATCH_MS - 1;
    const b = read(f, clock.t, 4, 3);
    expect(f.stats().packets).toBe(1); // both reads still gathered
    clock.t += 1;
    const c = read(f, clock.t, 7, 3);
    expect(f.stats().packets).toBe(10); // the read that found the batch old enough wrote it
    const expected = Buffer.concat([framed(0, 100), a, b, c]);
    for (let i = 0; i < 200 && r.received().length < expected.length; i++) await new Promise((res) => setTimeout(res, 5));
    expect(r.received().equals(expected)).toBe(true);
  });

  it('writes once FORWARD_BATCH_BYTES are gathered, however young the batch', async () => {
    const { f, clock } = await upForwarder(1_000);
    read(f, clock.t, 1, Math.ceil(FORWARD_BATCH_BYTES / 1_014) - 1);
    expect(f.stats().packets).toBe(1);
    read(f, clock.t, 100, 1);
    expect(f.stats().packets).toBe(1 + Math.ceil(FORWARD_BATCH_BYTES / 1_014));
  });

  it('with 0, hands every read to the socket at once', async () => {
    const { f, clock } = await upForwarder(0);
    read(f, clock.t, 1, 2);
    expect(f.stats().packets).toBe(3);
    read(f, clock.t, 3, 1);
    expect(f.stats().packets).toBe(4);
  });

  it('writes an aged batch from the shared timer when no read comes to carry it', async () => {
    const { f, clock, r } = await upForwarder(50);
    const a = read(f, clock.t, 1, 2);
    clock.t += 50;
    for (let i = 0; i < 200 && f.stats().packets < 3; i++) await new Promise((res) => setTimeout(res, 5));
    expect(f.stats().packets).toBe(3);
    const expected = Buffer.concat([framed(0, 100), a]);
    for (let i = 0; i < 200 && r.received().length < expected.length; i++) await new Promise((res) => setTimeout(res, 5));
    expect(r.received().equals(expected)).toBe(true);
  });

  it('never overwrites bytes a write still holds: a target that stops reading and resumes gets every byte in order', async () => {
    const { f, clock, r } = await upForwarder(0, true);
    const sent = [framed(0, 100)];
    // ~24 MB in reads of ~10 KB: far past what the kernel's buffers on both sides take, so most
    // writes are held by the socket while later reads keep coming.
    for (let i = 0; i < 2_400; i++) sent.push(read(f, clock.t, 1 + i * 7, 7, 1_400));
    expect(f.stats().dropped).toBe(0);
    r.resume();
    const expected = Buffer.concat(sent);
    for (let i = 0; i < 1_000 && r.received().length < expected.length; i++) await new Promise((res) => setTimeout(res, 10));
    expect(r.received().length).toBe(expected.length);
    expect(r.received().equals(expected)).toBe(true);
  });

  it('copies what it is handed: the device may reuse its read buffers at once', async () => {
    const { f, clock, r } = await upForwarder(0);
    const chunks = Array.from({ length: 50 }, (_, i) => read(f, clock.t, 1 + i * 3, 3));
    for (const c of chunks) c.fill(0); // the device's read buffers reused: nothing forwarded may change
    const expected = Buffer.concat([
      framed(0, 100),
      ...Array.from({ length: 50 }, (_, i) => Buffer.concat([0, 1, 2].map((k) => framed(1 + i * 3 + k, 1_000)))),
    ]);
    for (let i = 0; i < 200 && r.received().length < expected.length; i++) await new Promise((res) => setTimeout(res, 5));
    expect(r.received().equals(expected)).toBe(true);
  });
});
