import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait-for';
import { BatchUdpSocket, UdpSocketError, type UdpSocketType } from './batch-udp-socket';
import { FROM_IPV6, ReceiveArea, TRUNCATED } from './receive-area';

// Real sockets on loopback, ports chosen by the kernel (port 0): no fixed port is needed.

/** What one receiving socket got: each datagram copied out of the area during its batch. */
interface Received {
  socket: BatchUdpSocket;
  batches: number[];
  datagrams: { bytes: Buffer; flags: number; ipv4: number; port: number; ipv6: number[]; length: number }[];
}

const open: BatchUdpSocket[] = [];
const peers: Socket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(peers.splice(0).map((p) => new Promise<void>((resolve) => p.close(() => resolve()))));
});

async function receiver(type: UdpSocketType, host: string, area = new ReceiveArea(), onBatch?: (count: number) => void): Promise<Received> {
  const r: Received = { socket: null!, batches: [], datagrams: [] };
  r.socket = new BatchUdpSocket(
    type,
    (count) => {
      r.batches.push(count);
      for (let i = 0; i < count; i++) {
        const start = area.start(i);
        r.datagrams.push({
          bytes: Buffer.from(area.slab.subarray(start, start + area.lengths[i])),
          flags: area.flags[i],
          ipv4: area.ipv4[i],
          port: area.ports[i],
          ipv6: Array.from(area.ipv6.subarray(4 * i, 4 * i + 4)),
          length: area.lengths[i],
        });
      }
      onBatch?.(count);
    },
    area,
  );
  open.push(r.socket);
  await r.socket.bind(host, 0, 4 * 1024 * 1024);
  return r;
}

/** A send-only batch socket connected to `port`: sendFramed puts every datagram in the kernel before it returns. */
async function sender(type: UdpSocketType, host: string, port: number): Promise<BatchUdpSocket> {
  const s = new BatchUdpSocket(type, null);
  open.push(s);
  await s.bind(host, 0);
  s.connect(host, port);
  return s;
}

async function dgramPeer(type: UdpSocketType, host: string, port = 0): Promise<Socket> {
  const s = createSocket(type);
  peers.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, host, () => resolve());
  });
  return s;
}

/** RFC 4571 frames of these payloads (2-byte big-endian length, then the bytes). */
function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => [Buffer.from([p.length >> 8, p.length & 0xff]), p]));
}

const payload = (i: number, size = 100 + (i % 50) * 20) => Buffer.alloc(size, i & 0xff).fill(i >> 8, 0, 1);
const openFds = () => readdirSync('/proc/self/fd').length;

describe('BatchUdpSocket (native recvmmsg/sendmmsg addon, real loopback sockets)', () => {
  it('receives a burst in batches of up to 64 datagrams, bytes, lengths and order intact, with the source as integers', async () => {
    const r = await receiver('udp4', '127.0.0.1');
    const s = await sender('udp4', '127.0.0.1', r.socket.localPort);
    const sent = Array.from({ length: 200 }, (_, i) => payload(i));
    // sendmmsg is synchronous: all 200 are queued before the receiver's poll runs
    expect(s.sendFramed(framed(sent), 2)).toBe(framed(sent).length);
    await waitFor(() => r.datagrams.length === 200, 'all 200 datagrams');
    expect(r.datagrams.map((d) => d.bytes)).toEqual(sent);
    expect(r.batches).toEqual([64, 64, 64, 8]);
    expect(r.datagrams.every((d) => d.flags === 0 && d.ipv4 === 0x7f000001 && d.port === s.localPort)).toBe(true);
  });

  it('gives each socket at most 4 batches per turn of the event loop, so one busy socket cannot starve another', async () => {
    const order: string[] = [];
    const area = new ReceiveArea();
    const a = await receiver('udp4', '127.0.0.1', area, () => order.push('a'));
    const b = await receiver('udp4', '127.0.0.1', area, () => order.push('b'));
    const sent = framed(Array.from({ length: 640 }, (_, i) => payload(i, 64)));
    (await sender('udp4', '127.0.0.1', a.socket.localPort)).sendFramed(sent, 2);
    (await sender('udp4', '127.0.0.1', b.socket.localPort)).sendFramed(sent, 2);
    await waitFor(() => a.datagrams.length === 640 && b.datagrams.length === 640, 'both bursts');
    // Both sockets are readable from the start: neither runs more than 4 batches in a row.
    expect(order.join('')).toMatch(/^(a{1,4}|b{1,4})+$/);
    expect(order.join('')).not.toMatch(/a{5}|b{5}/);
    expect(a.batches).toEqual(Array(10).fill(64));
  });

  it('reports an IPv6 source as its four words, and an IPv4 one on a dual-stack socket as IPv4', async () => {
    const r6 = await receiver('udp6', '::1');
    const s6 = await sender('udp6', '::1', r6.socket.localPort);
    s6.sendFramed(framed([payload(1)]), 2);
    await waitFor(() => r6.datagrams.length === 1, 'the IPv6 datagram');
    expect(r6.datagrams[0]).toMatchObject({ flags: FROM_IPV6, port: s6.localPort, ipv6: [0, 0, 0, 1] });

    const dual = await receiver('udp6', '::');
    const v4 = await dgramPeer('udp4', '127.0.0.1');
    v4.send(payload(2), dual.socket.localPort, '127.0.0.1');
    await waitFor(() => dual.datagrams.length === 1, 'the IPv4 datagram on the dual-stack socket');
    expect(dual.datagrams[0]).toMatchObject({ flags: 0, ipv4: 0x7f000001, port: v4.address().port });
  });

  it('marks a datagram longer than a slot as truncated (MSG_TRUNC), with only the slot filled, and goes on', async () => {
    const r = await receiver('udp4', '127.0.0.1', new ReceiveArea(8, 256));
    const s = await sender('udp4', '127.0.0.1', r.socket.localPort);
    s.sendFramed(framed([payload(1, 100), payload(2, 1000), payload(3, 256), payload(4, 257)]), 2);
    await waitFor(() => r.datagrams.length === 4, 'four datagrams');
    expect(r.datagrams.map((d) => [d.length, d.flags & TRUNCATED])).toEqual([
      [100, 0],
      [256, TRUNCATED],
      [256, 0],
      [256, TRUNCATED],
    ]);
  });

  it('sends RFC 2326 interleaved frames too, and drops a frame cut short at the end', async () => {
    const r = await receiver('udp4', '127.0.0.1');
    const s = await sender('udp4', '127.0.0.1', r.socket.localPort);
    const interleaved = Buffer.concat([Buffer.from([0x24, 0, 0, 3]), Buffer.from('abc'), Buffer.from([0x24, 0, 0, 2]), Buffer.from('de')]);
    expect(s.sendFramed(interleaved, 4)).toBe(interleaved.length);
    const cut = Buffer.concat([framed([Buffer.from('xyz')]), Buffer.from([0, 9, 1, 2])]);
    expect(s.sendFramed(cut, 2)).toBe(cut.length);
    await waitFor(() => r.datagrams.length === 3, 'three datagrams');
    expect(r.datagrams.map((d) => d.bytes.toString())).toEqual(['abc', 'de', 'xyz']);
  });

  it('fails a bind with the errno code, as dgram does, and leaves no descriptor open', async () => {
    const held = await dgramPeer('udp4', '127.0.0.1');
    const before = openFds();
    const cases: [UdpSocketType, string, number, string][] = [
      ['udp4', '127.0.0.1', held.address().port, 'EADDRINUSE'],
      ['udp4', '192.0.2.1', 0, 'EADDRNOTAVAIL'],
      ['udp4', '::1', 0, 'EINVAL'],
      ['udp6', '127.0.0.1', 0, 'EINVAL'],
    ];
    for (const [type, host, port, code] of cases) {
      const s = new BatchUdpSocket(type, () => undefined);
      const err = await s.bind(host, port).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UdpSocketError);
      expect(err).toMatchObject({ code, syscall: 'bind', port });
      await s.close();
    }
    // A name is looked up first, as dgram does; one that does not resolve fails with the lookup's code.
    const named = new BatchUdpSocket('udp4', () => undefined);
    await named.bind('localhost', 0);
    expect(named.localPort).toBeGreaterThan(0);
    await named.close();
    const unknown = new BatchUdpSocket('udp4', () => undefined);
    await expect(unknown.bind('no-such-host.invalid', 0)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(openFds()).toBe(before);
  });

  it('binds without SO_REUSEADDR: a port it holds cannot be bound again, even by a dgram socket asking for reuse', async () => {
    const r = await receiver('udp4', '127.0.0.1');
    const again = new BatchUdpSocket('udp4', () => undefined);
    await expect(again.bind('127.0.0.1', r.socket.localPort)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const reuse = createSocket({ type: 'udp4', reuseAddr: true });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      reuse.once('error', resolve);
      reuse.bind(r.socket.localPort, '127.0.0.1');
    });
    expect(err.code).toBe('EADDRINUSE');
    reuse.close();
    expect(r.socket.recvBufferBytes).toBeGreaterThan(0);
  });

  it('close resolves once the descriptor is gone and the port free; twice is the same close', async () => {
    const before = openFds();
    const sockets = await Promise.all(Array.from({ length: 10 }, () => receiver('udp4', '127.0.0.1')));
    expect(openFds()).toBe(before + 10);
    const port = sockets[0].socket.localPort;
    const first = sockets[0].socket.close();
    expect(sockets[0].socket.close()).toBe(first);
    await Promise.all(sockets.map((r) => r.socket.close()));
    expect(openFds()).toBe(before);
    expect(sockets[0].socket.localPort).toBe(-1);
    // the port is free again, for anyone
    const next = await dgramPeer('udp4', '127.0.0.1', port);
    expect(next.address().port).toBe(port);
  });

  it('closes from inside its own batch callback: the batch loop stops, the close completes', async () => {
    const area = new ReceiveArea();
    const closing: { done: Promise<void> | null } = { done: null };
    const r: Received = await receiver('udp4', '127.0.0.1', area, () => {
      closing.done ??= r.socket.close();
    });
    const s = await sender('udp4', '127.0.0.1', r.socket.localPort);
    s.sendFramed(framed(Array.from({ length: 200 }, (_, i) => payload(i))), 2);
    await waitFor(() => closing.done !== null, 'the close from the callback');
    await closing.done;
    expect(r.batches).toEqual([64]);
  });

  it('lets sockets dropped unbound, after a failed bind, or closed be collected without harm; a bound one lives until closed', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const before = openFds();
    // As UdpSockets does it: the batch callback reaches the socket's owner, and nothing else does.
    const bound = await (async () => {
      const owner = { got: 0, socket: null as BatchUdpSocket | null };
      owner.socket = new BatchUdpSocket('udp4', (count) => (owner.got += count));
      await owner.socket.bind('127.0.0.1', 0);
      return { ref: new WeakRef(owner), port: owner.socket.localPort };
    })();
    const dropped = await (async () => {
      const unbound = new BatchUdpSocket('udp4', () => undefined);
      const sendOnly = new BatchUdpSocket('udp4', null);
      const failed = new BatchUdpSocket('udp4', () => undefined);
      await failed.bind('192.0.2.1', 0).catch(() => undefined);
      const closed = new BatchUdpSocket('udp4', () => undefined);
      await closed.bind('127.0.0.1', 0);
      await closed.close();
      return [unbound, sendOnly, failed, closed].map((x) => new WeakRef(x));
    })();
    await collect();
    expect(dropped.map((w) => w.deref())).toEqual([undefined, undefined, undefined, undefined]);
    expect(bound.ref.deref()).toBeDefined();
    const s = await sender('udp4', '127.0.0.1', bound.port);
    s.sendFramed(framed([payload(1), payload(2)]), 2);
    await waitFor(() => bound.ref.deref()?.got === 2, 'the bound socket still receives');
    await bound.ref.deref()!.socket!.close();
    await s.close();
    expect(openFds()).toBe(before);
  });

  it("turns an exception thrown by the batch callback into the process's uncaught exception, as a dgram listener's would be", () => {
    // In a child process of its own: the exception has to reach process-level handling.
    const addon = join(__dirname, '..', 'native', 'build', 'Release', 'udp_batch.node');
    const script = `
      const { ReceiveArea, BatchSocket } = require(${JSON.stringify(addon)});
      const n = 4, slotBytes = 2048, stride = slotBytes;
      const area = new ReceiveArea({ slots: n, slotBytes, stride, slab: Buffer.alloc(n * stride), lengths: new Uint32Array(n),
        flags: new Uint8Array(n), ipv4: new Uint32Array(n), ports: new Uint16Array(n), ipv6: new Uint32Array(4 * n), scopes: new Uint32Array(n) });
      const socket = new BatchSocket(area, (count) => { throw new Error('thrown from a batch of ' + count); });
      process.on('uncaughtException', (err) => { console.log('uncaught: ' + err.message); socket.close(() => process.exit(7)); });
      socket.bind(4, '127.0.0.1', 0, 0);
      const peer = require('dgram').createSocket('udp4');
      peer.send(Buffer.from('x'), socket.localPort(), '127.0.0.1', () => peer.close());`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect({ status: run.status, stdout: run.stdout.trim() }).toEqual({ status: 7, stdout: 'uncaught: thrown from a batch of 1' });
  });

  it('counts datagrams the kernel refused after an ICMP unreachable, and sends on', async () => {
    const gone = await dgramPeer('udp4', '127.0.0.1');
    const port = gone.address().port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    peers.splice(peers.indexOf(gone), 1);
    const s = await sender('udp4', '127.0.0.1', port);
    const frames = framed([payload(1), payload(2)]);
    expect(s.sendFramed(frames, 2)).toBe(frames.length);
    await waitFor(() => (s.sendFramed(frames, 2), s.sendErrors > 0), 'a refused datagram counted');
  });
});
