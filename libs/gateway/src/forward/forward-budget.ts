/** FORWARD_BUFFER_TOTAL_BYTES by default: what every lease's forward may hold together. */
export const DEFAULT_FORWARD_BUFFER_TOTAL_BYTES = 256 * 1024 * 1024;

/**
 * What a lease may always hold, whatever the total: the packets that arrive while its
 * connection opens (about 250 ms of a 2 Mb/s stream), so a lease that starts while stuck
 * targets have used up the total still forwards from its first packet.
 */
export const FORWARD_RESERVE_BYTES = 64 * 1024;

/**
 * The process-wide bound on bytes held for forwarding (FORWARD_BUFFER_TOTAL_BYTES), beside each
 * lease's own bound (FORWARD_BUFFER_BYTES): the per-lease bound alone let 1,250 leases with a
 * slow media server hold 1.2-4.6 GB.
 *
 * `held` is the sum of what every forwarder holds right now: packets gathered for the next
 * write, packets waiting while the connection opens or is down, and bytes handed to a socket
 * that the kernel has not taken yet. Each forwarder adds and removes its own share (see
 * LeaseForwarder.account) and gives all of it back when it closes, on every end path.
 *
 * Fairness: the total limits backlogs, not the flow. A lease whose connection is up and takes
 * everything it is given only gathers its next write (at most FORWARD_BATCH_BYTES and one
 * socket read, for at most FORWARD_BATCH_MS) and is never refused for the total; nor is a
 * lease that holds less than FORWARD_RESERVE_BYTES. Beyond that, a backlogged lease
 * (connecting, down, or its socket holds bytes the kernel did not take) may add bytes only
 * while the total has room. So stuck or dead targets can use up the total, but they cannot
 * make a lease with a healthy target drop anything. The price: `held` may pass `limit` by
 * those gathered writes and reserves, at most ~96 KiB per forwarding lease (≤ 120 MiB at
 * 1,250 leases, against 4 MiB per lease without the total).
 */
export class ForwardBudget {
  /** bytes held for forwarding by every lease, now */
  held = 0;

  constructor(readonly limit: number = DEFAULT_FORWARD_BUFFER_TOTAL_BYTES) {}

  /** Whether a backlogged lease may add `n` bytes. */
  hasRoom(n: number): boolean {
    return this.held + n <= this.limit;
  }
}
