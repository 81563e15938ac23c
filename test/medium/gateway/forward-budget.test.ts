import type { Lease } from '@app/leasing';
import { afterEach, describe, expect, it } from 'vitest';
import { readOk, rfc4571Packets, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { tcpReceiver, type TcpReceiver } from '../../support/forward-receivers';
import { portBlock, rangeOf } from '../../support/port-blocks';
import type { TestDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { leaseSessions } from './lease-sessions';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const PACKETS = rfc4571Packets(CAPTURE);

/** Each lease's own bound: the default 4 MiB. */
const LEASE_BYTES = 4 * 1024 * 1024;
/** The process's: below one lease's, so a lease that is refused was refused for the total. */
const TOTAL_BYTES = 3 * 1024 * 1024;
/**
 * What the total may be passed by (see ForwardBudget): a lease is held to the total only once
 * its socket holds bytes the kernel did not take and it holds more than its 64 KiB reserve, so
 * the write that found the kernel full (one batch of at most 32 KiB plus one socket read)
 * passes, at most ~96 KiB per stuck lease.
 */
const SLACK = 256 * 1024;

// Block 51, shared with forwarding.test.ts: media pairs at offsets 220-259, receivers at 330-339.
const block = portBlock(51);
const receiverPort = (i: number) => block.start + 330 + i;

const receivers: TcpReceiver[] = [];
async function tcp(i: number, opts?: { reading?: boolean }) {
  const r = await tcpReceiver(receiverPort(i), opts);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop().catch(() => undefined)));
});

describe('a process-wide bound on bytes held for forwarding (FORWARD_BUFFER_TOTAL_BYTES), real loopback receivers', () => {
  const { harness, allocate, device, stats } = leaseSessions('sqlite', {
    range: rangeOf(block.range(20, 220)),
    forwardBufferBytes: LEASE_BYTES,
    forwardBufferTotalBytes: TOTAL_BYTES,
  });
  const buffered = () => harness().gateway.forwardBufferedBytes;

  /** Pushes the capture `rounds` times (far more than the kernel's socket buffers take from a target that never reads). */
  async function pushRounds(d: TestDevice, rounds: number, seed: number): Promise<void> {
    for (let i = 0; i < rounds; i++) await d.push(CAPTURE, { seed: seed + i });
  }

  /** A lease forwarding to `receiver`, whose device has pushed `rounds` captures, all ingested. */
  async function stuckLease(name: string, receiver: TcpReceiver, rounds: number, seed: number): Promise<{ lease: Lease; d: TestDevice }> {
    const lease = await allocate(name, { forward: `tcp://127.0.0.1:${receiver.port}` });
    const d = await device(lease.rtpPort);
    await pushRounds(d, rounds, seed);
    await waitFor(() => stats(lease).packets === rounds * PACKETS.length, `${name} ingesting everything`);
    return { lease, d };
  }

  it('drops past the total while each lease holds less than its own bound; a lease whose target keeps up loses nothing', async () => {
    const stuck1 = await tcp(0, { reading: false });
    const stuck2 = await tcp(1, { reading: false });
    const healthy = await tcp(2);
    const rounds = 8;
    const [{ lease: a }, { lease: b }] = await Promise.all([
      stuckLease('stuck-a', stuck1, rounds, 100),
      stuckLease('stuck-b', stuck2, rounds, 200),
    ]);

    // Every ingested packet ends up forwarded or dropped, and counted. A packet is counted as
    // forwarded when its batch is handed to the socket, up to FORWARD_BATCH_MS after ingest:
    // read right after the last ingest, the last batch could still be gathering.
    for (const lease of [a, b]) {
      const settled = () => stats(lease).forward!.packets + stats(lease).forward!.dropped === rounds * PACKETS.length;
      await waitFor(settled, `${lease.streamId}: every packet forwarded or dropped`);
      expect(stats(lease).forward!.dropped).toBeGreaterThan(0);
    }

    // The two stuck leases used up the total; neither could reach its own 4 MiB.
    expect(buffered()).toBeGreaterThan(TOTAL_BYTES - SLACK);
    expect(buffered()).toBeLessThanOrEqual(TOTAL_BYTES + SLACK);
    expect(TOTAL_BYTES + SLACK).toBeLessThan(LEASE_BYTES);

    // A third lease, while the total is exhausted, from a device sending at a pace (~45 Mb/s) to a
    // target that reads: its connection opens within its reserve and the kernel takes every write,
    // so nothing of it is refused.
    const fine = await allocate('healthy', { forward: `tcp://127.0.0.1:${healthy.port}` });
    await (await device(fine.rtpPort)).push(CAPTURE, { seed: 300, pauseMs: 5 });
    await waitFor(() => healthy.total() === CAPTURE.length, 'the healthy lease forwarding everything');
    expect(healthy.bytes().equals(CAPTURE)).toBe(true);
    expect(stats(fine).forward).toMatchObject({ packets: PACKETS.length, dropped: 0 });

    // The release routine gives every byte back.
    for (const lease of [a, b, fine]) await harness().release.release(lease.id);
    expect(buffered()).toBe(0);
  });

  it('gives the bytes back when the connection fails: waiting while the target refuses, then the release', async () => {
    const closedPort = receiverPort(3);
    const lease = await allocate('refused', { forward: `tcp://127.0.0.1:${closedPort}` });
    await (await device(lease.rtpPort)).push(CAPTURE.subarray(0, 300_000), { seed: 400 });
    await waitFor(() => stats(lease).forward?.state === 'down' && buffered() > 0, 'packets waiting for a retry');
    expect(stats(lease).forward!.packets).toBe(0);
    await harness().release.release(lease.id);
    expect(buffered()).toBe(0);
  });

  it('gives the bytes back when a stuck target goes away and the lease reconnects, before any release', async () => {
    const stuck = await tcp(4, { reading: false });
    const { lease, d } = await stuckLease('reconnecting', stuck, 6, 500);
    expect(buffered()).toBeGreaterThan(0);
    await stuck.stop();
    receivers.splice(receivers.indexOf(stuck), 1);
    // What the dead connection held is gone with it; packets keep coming and the forward reconnects.
    const back = await tcp(4);
    let next = 0;
    await waitFor(async () => {
      // Whole packets, so the device's stream stays well framed.
      await d.push(toRfc4571(PACKETS.slice(next, (next += 20))), { seed: next });
      return back.connections.length === 1 && stats(lease).forward?.state === 'up';
    }, 'the forward up again');
    await waitFor(() => buffered() === 0, 'nothing held once the new connection took everything');
    expect(stats(lease).forward!.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('gives the bytes back at shutdown (closeAll) with a stuck target', async () => {
    const stuck = await tcp(5, { reading: false });
    await stuckLease('shutdown', stuck, 6, 700);
    expect(buffered()).toBeGreaterThan(0);
    await harness().gateway.closeAll();
    expect(buffered()).toBe(0);
  });
});
