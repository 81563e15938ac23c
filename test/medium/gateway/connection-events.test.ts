import type { Lease, LeaseEvent } from '@app/ledger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOT_OK_DIR, readOk, rfc4571Packets, toRfc4571 } from '../../fixtures/rtp/fixtures';
import { portBlock, rangeOf } from '../../support/port-blocks';
import { DB_KINDS } from '../../support/test-databases';
import { connectDevice } from '../../support/device';
import { waitFor } from '../../support/wait-for';
import { leaseSessions, withSsrc } from './lease-sessions';

const CAPTURE = readOk('zlm-tcp-ps-rtp.bin');
const PACKETS = rfc4571Packets(CAPTURE);
const SSRC = 123456789;
const GARBAGE = readFileSync(join(NOT_OK_DIR, 'unknown-framing--garbage.bin'));

/** The contract's bounds on one lease's events, whatever arrives on its media ports. */
const SILENT_CONNECTIONS_REPORTED = 16;
const CONNECTIONS_REPORTED = 256;
const STREAM_ERRORS_REPORTED = 16;

/**
 * Anyone who reaches a lease's media port can connect in a loop. Every connection is counted
 * in the stats, but the events it writes are bounded per lease, so the ledger cannot be grown
 * without bound from the media side; a device that streams is still seen.
 */
describe.each(DB_KINDS)('connection events per lease are bounded (%s ledger, real loopback sockets)', (kind) => {
  const block = portBlock(47);
  const { harness, allocate, device, stats, state } = leaseSessions(kind, {
    range: rangeOf(block.range(20, kind === 'sqlite' ? 0 : 100)),
  });

  /** Every event of the lease, oldest first (all pages). */
  const allEvents = async (lease: Lease) => {
    const events: LeaseEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await harness().queries.eventsOf(lease.id, { limit: 1000, cursor });
      events.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return events;
  };
  const eventsOf = async (lease: Lease, type: string) => (await allEvents(lease)).filter((e) => e.type === type);
  /** How many events of each type the lease has. */
  const eventCounts = async (lease: Lease) => {
    const counts: Record<string, number> = {};
    for (const e of await allEvents(lease)) counts[e.type] = (counts[e.type] ?? 0) + 1;
    return counts;
  };

  /** Waits until the lease's state is `wanted`, written at or after `since` (ms). */
  const stateSince = (lease: Lease, wanted: string, since: number) =>
    waitFor(
      async () => {
        const l = (await harness().queries.get(lease.id)).lease;
        return l.state === wanted && l.updatedAt >= since;
      },
      `${wanted} since ${since}`,
      60_000,
    );

  /**
   * Connects to the RTP port, sends `bytes` (if any), closes, and waits until the gateway has
   * accepted and closed this `n`th connection, so the next one is never refused as busy.
   */
  const connectOnce = async (lease: Lease, n: number, bytes?: Buffer) => {
    const d = await connectDevice(lease.rtpPort);
    if (bytes) await d.push(bytes);
    d.socket.destroy();
    await waitFor(() => stats(lease).connections === n && !stats(lease).connected, `connection ${n} closed by the gateway`, { everyMs: 2 });
  };

  it('records only the first 16 connections that deliver no media, counts all of them, and still records a device that streams', async () => {
    const lease = await allocate('no-media-loop', { ssrc: String(SSRC) });
    const foreign = toRfc4571([withSsrc(PACKETS[0], 7)]);
    for (let n = 1; n <= 200; n++) {
      // Mostly connect-and-close; every 10th sends a foreign-SSRC packet, another 10th garbage.
      await connectOnce(lease, n, n % 10 === 0 ? foreign : n % 10 === 5 ? GARBAGE : undefined);
    }
    expect(stats(lease)).toMatchObject({ connections: 200, rejectedConnections: 0, streamErrors: 20, droppedForeignSsrc: 20, packets: 0 });

    const real = await device(lease.rtpPort);
    await real.push(CAPTURE, { seed: 47 });
    await waitFor(() => stats(lease).packets === 2308, 'the device streams');
    await waitFor(async () => (await eventsOf(lease, 'first-packet')).length === 1, 'first-packet');
    await waitFor(async () => (await state(lease)) === 'streaming', 'streaming');
    const [connected] = (await eventsOf(lease, 'peer-connected')).slice(-1);
    expect(connected.detail).toMatchObject({ connection: 201 });
    expect((await eventsOf(lease, 'first-packet'))[0].detail).toMatchObject({ connection: 201 });

    expect(await eventCounts(lease)).toEqual({
      allocated: 1,
      listening: 1,
      'peer-connected': SILENT_CONNECTIONS_REPORTED + 1,
      'peer-disconnected': SILENT_CONNECTIONS_REPORTED,
      'ssrc-mismatch': 1,
      'stream-error': STREAM_ERRORS_REPORTED,
      'first-packet': 1,
    });
    expect(stats(lease)).toMatchObject({ connections: 201, noMediaConnections: 200, unreportedConnections: 184, connected: true });
    expect((await harness().queries.get(lease.id)).stats).toMatchObject({
      connections: 201,
      noMediaConnections: 200,
      unreportedConnections: 184,
    });
  }, 120_000);

  it('records at most 256 connections per lease even when each delivers an accepted packet, and counts the rest', async () => {
    const lease = await allocate('one-packet-loop');
    const total = CONNECTIONS_REPORTED + 10;
    for (let n = 1; n <= total; n++) await connectOnce(lease, n, toRfc4571([PACKETS[n % PACKETS.length]]));
    expect(stats(lease)).toMatchObject({ connections: total, rejectedConnections: 0, packets: total });

    // A device past the cap still streams and turns the lease `streaming`; it is only counted.
    const real = await device(lease.rtpPort);
    const pushedAt = Date.now();
    await real.push(CAPTURE, { seed: 48 });
    await waitFor(() => stats(lease).packets === total + 2308, 'the device streams');
    // The loop's own streaming/listening writes come first (in order), so wait for this one's.
    await stateSince(lease, 'streaming', pushedAt);
    const leftAt = Date.now();
    await real.end();
    await stateSince(lease, 'listening', leftAt);
    expect(await eventCounts(lease)).toEqual({
      allocated: 1,
      listening: 1,
      'peer-connected': CONNECTIONS_REPORTED,
      'first-packet': CONNECTIONS_REPORTED,
      'peer-disconnected': CONNECTIONS_REPORTED,
    });
    expect(stats(lease)).toMatchObject({ connections: total + 1, noMediaConnections: 0, unreportedConnections: 11, connected: false });
  }, 120_000);

  it('records what a device that reconnects at once reports in order, and the lease ends up in its last state', async () => {
    const lease = await allocate('quick-reconnects');
    const rounds = 60;
    for (let n = 1; n <= rounds; n++) await connectOnce(lease, n, toRfc4571([PACKETS[n]]));
    const pushedAt = Date.now();
    const real = await device(lease.rtpPort);
    await real.push(toRfc4571(PACKETS.slice(100, 200)));
    await stateSince(lease, 'streaming', pushedAt);
    const types = (await allEvents(lease)).map((e) => e.type);
    const oneConnection = ['peer-connected', 'first-packet', 'peer-disconnected'];
    expect(types).toEqual([
      'allocated',
      'listening',
      ...Array.from({ length: rounds }, () => oneConnection).flat(),
      'peer-connected',
      'first-packet',
    ]);
  }, 120_000);

  it('writes at most 16 stream-error events per lease, also for garbage on the RTCP port, and counts them all', async () => {
    const lease = await allocate('garbage-loop');
    for (let n = 1; n <= 30; n++) {
      const d = await connectDevice(lease.rtcpPort);
      await d.push(GARBAGE);
      await d.closed;
    }
    await waitFor(() => stats(lease).streamErrors === 30, 'every stream error counted');
    await waitFor(async () => (await eventsOf(lease, 'stream-error')).length >= STREAM_ERRORS_REPORTED, 'the stream-error events');
    const real = await device(lease.rtpPort);
    await real.push(toRfc4571(PACKETS.slice(0, 20)));
    await waitFor(async () => (await eventsOf(lease, 'first-packet')).length === 1, 'the device recorded');
    expect(await eventsOf(lease, 'stream-error')).toHaveLength(STREAM_ERRORS_REPORTED);
  });
});
