import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCapture, resolveCapture } from '../../../apps/device-sim/src/capture';
import { DeviceStream, type StreamSettings } from '../../../apps/device-sim/src/device-stream';
import type { DeviceLink } from '../../../apps/device-sim/src/links/device-link';
import { TcpActiveLink } from '../../../apps/device-sim/src/links/tcp-active.link';
import { UdpLink } from '../../../apps/device-sim/src/links/udp.link';
import { readOk, rfc4571Packets } from '../../fixtures/rtp/fixtures';
import { portBlock } from '../../support/port-blocks';
import { runSim } from '../../support/pull';
import { waitFor } from '../../support/wait-for';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const PACKETS = rfc4571Packets(CAPTURE);
// UDP has no flow control: flat out, two copies of the 2.2 MB capture overflow the receiver's
// 4 MB buffer (kernel truesize ~2x) whenever the test process is slow to read on a loaded
// machine. Paced at 16 Mb/s a stream takes ~1.1 s and the buffer covers a ~0.5 s stall.
const PACED = ['--bitrate-mbps', '16'];

/** The simulator's UDP and TCP-ACTIVE devices, checked against plain sockets of the test. */
describe('device simulator links', () => {
  const block = portBlock(58);
  const capture = loadCapture(resolveCapture('zlm'));
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  const settings = (over: Partial<StreamSettings> = {}): StreamSettings => ({
    capture,
    pace: 'flat',
    speed: 1,
    loops: 1,
    ssrc: null,
    framing: 'rfc4571',
    startFrame: 0,
    ...over,
  });
  const device = (link: DeviceLink, over?: Partial<StreamSettings>) =>
    new DeviceStream({ host: '127.0.0.1', port: 0 }, settings(over), link);

  /** A UDP receiver on `port` keeping every datagram and its source. */
  async function udpReceiver(port: number) {
    const got: { packet: Buffer; from: string }[] = [];
    // Flat out, a whole capture may arrive before the test reads: room for all of it.
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    socket.on('message', (packet, r) => got.push({ packet, from: `${r.address}:${r.port}` }));
    await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
    cleanups.push(() => socket.close());
    return got;
  }

  /** Dials a listening device and collects what it sends. */
  function dial(port: number): { socket: Socket; bytes: () => Buffer; closed: Promise<void> } {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    cleanups.push(() => socket.destroy());
    return { socket, bytes: () => Buffer.concat(chunks), closed };
  }

  it('udp: sends every RTP packet of the capture as one datagram, without frame headers, from one source port', async () => {
    const port = block.start;
    const got = await udpReceiver(port);
    const d = device(new UdpLink('127.0.0.1', port));
    await d.start();
    await d.done;
    await waitFor(() => got.length === PACKETS.length, 'every datagram');
    expect(got.map((g) => g.packet)).toEqual(PACKETS);
    expect(new Set(got.map((g) => g.from)).size).toBe(1);
    expect(d.bytesSent).toBe(PACKETS.reduce((n, p) => n + p.length, 0));
    expect(d.error).toBeNull();
  });

  it('udp: a second loop continues sequence numbers and rewrites the SSRC when asked', async () => {
    const port = block.start + 2;
    const got = await udpReceiver(port);
    // Paced (a loop a second): flat out, two loops overrun a receiver in the same process,
    // which reads at most 32 datagrams per turn of the event loop.
    const d = device(new UdpLink('127.0.0.1', port), { loops: 2, ssrc: 0xbebc201, pace: 'realtime', speed: capture.loopTicks / 90_000 });
    await d.start();
    const ticker = setInterval(() => d.tick(performance.now()), 5);
    cleanups.push(() => clearInterval(ticker));
    await d.done;
    await waitFor(() => got.length === 2 * PACKETS.length, 'both loops');
    const seqs = got.map((g) => g.packet.readUInt16BE(2));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] + 1) & 0xffff);
    expect(new Set(got.map((g) => g.packet.readUInt32BE(8)))).toEqual(new Set([0xbebc201]));
  });

  it('tcp-active: listens, streams the capture byte for byte to whoever dials it, and ends', async () => {
    const link = new TcpActiveLink('127.0.0.1', block.start + 4);
    const d = device(link);
    await d.start();
    expect(link.address).toEqual({ host: '127.0.0.1', port: block.start + 4 });
    expect(d.connected).toBe(false);
    const c = dial(block.start + 4);
    await c.closed;
    await d.done;
    expect(c.bytes().equals(CAPTURE)).toBe(true);
    expect(d.error).toBeNull();
  });

  it('tcp-active: keeps listening when the media host drops the connection, and carries on when dialled again', async () => {
    const link = new TcpActiveLink('127.0.0.1', 0);
    // About 4 s of stream at this speed: time to drop and re-dial in the middle.
    const d = device(link, { pace: 'realtime', speed: capture.loopTicks / 90_000 / 4 });
    await d.start();
    const ticker = setInterval(() => d.tick(performance.now()), 10);
    cleanups.push(() => clearInterval(ticker));
    const port = link.address!.port;

    const first = dial(port);
    await waitFor(() => first.bytes().length > 10_000, 'the first connection to carry media');
    first.socket.destroy();
    await waitFor(() => !d.connected, 'the device to notice');
    const second = dial(port);
    await second.closed;
    await d.done;
    const tail = second.bytes();
    // The second connection starts on a frame boundary and ends with the capture's last packet.
    const frames = rfc4571Packets(tail);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.at(-1)).toEqual(PACKETS.at(-1));
    expect(PACKETS.findIndex((p) => p.equals(frames[0]))).toBeGreaterThan(0);
    expect(d.error).toBeNull();
  });

  it('the CLI pushes udp straight to a port and reports the packet bytes', async () => {
    const port = block.start + 6;
    const got = await udpReceiver(port);
    const r = await runSim(['--transport', 'udp', '--host', '127.0.0.1', '--port', String(port), ...PACED, '--json', '--quiet']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ streams: 1, errors: 0, bytes: PACKETS.reduce((n, p) => n + p.length, 0) });
    await waitFor(() => got.length === PACKETS.length, 'every datagram');
  });

  it('the CLI counts the datagrams it sent in its summary, two streams over UDP each from its own port', async () => {
    const port = block.start + 8;
    const got = await udpReceiver(port);
    const r = await runSim([
      '--transport',
      'udp',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--streams',
      '2',
      ...PACED,
      '--json',
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ streams: 2, errors: 0, packets: 2 * PACKETS.length });
    await waitFor(() => got.length === 2 * PACKETS.length, 'every datagram of both streams');
    expect(new Set(got.map((g) => g.from)).size).toBe(2);
  });

  it('the CLI refuses an unknown transport, naming the choices', async () => {
    const r = await runSim(['--transport', 'sctp', '--host', '127.0.0.1', '--port', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--transport must be one of tcp-passive, tcp-active, udp');
  });
});
