import { udpBatchAddon } from './load-addon';
import type { NativeReceiveArea } from './native-types';

/** flags[i]: the datagram was longer than a slot; only slotBytes of it are there (MSG_TRUNC). */
export const TRUNCATED = 1;
/** flags[i]: the source is IPv6 (ipv6[4i..4i+3], scopes[i]); otherwise IPv4 (ipv4[i]), mapped addresses included. */
export const FROM_IPV6 = 2;

/** Datagrams per recvmmsg: a burst of one socket comes in a few calls, not one per datagram. */
export const DEFAULT_SLOTS = 64;
/** Room per datagram: the largest UDP payload fits, so no real datagram is ever truncated. */
export const DEFAULT_SLOT_BYTES = 64 * 1024;
/** A cache line between slots, so slot starts do not all land in the same cache sets. */
const SLOT_PADDING = 64;

/**
 * Where the batch receive puts datagrams, and what JavaScript reads after each batch: datagram
 * i is `slab[start(i) .. start(i) + lengths[i])` from `ipv4[i]`:`ports[i]` (or the IPv6 words),
 * with `flags[i]`. Everything is allocated once and reused: a batch allocates nothing. The
 * contents are valid only during the batch callback (the next receive, on any socket sharing
 * the area, overwrites them), so whoever keeps bytes must copy them.
 *
 * One area serves every socket of the process (sharedReceiveArea): batches are delivered one
 * at a time on the event loop, so sockets never need their own, and 1,500 leases cost no more
 * slab memory than one (pages never written are never resident).
 */
export class ReceiveArea {
  readonly stride: number;
  readonly slab: Buffer;
  readonly lengths: Uint32Array;
  readonly flags: Uint8Array;
  readonly ipv4: Uint32Array;
  readonly ports: Uint16Array;
  readonly ipv6: Uint32Array;
  readonly scopes: Uint32Array;
  /** the native side, handed to each BatchUdpSocket */
  readonly native: NativeReceiveArea;

  constructor(
    readonly slots = DEFAULT_SLOTS,
    readonly slotBytes = DEFAULT_SLOT_BYTES,
  ) {
    if (!Number.isInteger(slots) || slots < 1 || !Number.isInteger(slotBytes) || slotBytes < 1)
      throw new RangeError(`ReceiveArea: slots and slotBytes must be positive integers, got ${slots}, ${slotBytes}`);
    this.stride = slotBytes + SLOT_PADDING;
    // allocUnsafeSlow: its own memory (not the shared pool), never zeroed, so untouched pages stay virtual
    this.slab = Buffer.allocUnsafeSlow(this.stride * slots);
    this.lengths = new Uint32Array(slots);
    this.flags = new Uint8Array(slots);
    this.ipv4 = new Uint32Array(slots);
    this.ports = new Uint16Array(slots);
    this.ipv6 = new Uint32Array(4 * slots);
    this.scopes = new Uint32Array(slots);
    // a views object of its own, not `this`: the native side holds it, and holding `this` would
    // make a cycle through a strong native reference that no collection could break
    const { stride, slab, lengths, flags, ipv4, ports, ipv6, scopes } = this;
    this.native = new (udpBatchAddon().ReceiveArea)({ slots, slotBytes, stride, slab, lengths, flags, ipv4, ports, ipv6, scopes });
  }

  /** Where datagram i of the current batch starts in `slab`. */
  start(i: number): number {
    return i * this.stride;
  }
}

let shared: ReceiveArea | null = null;

/** The process's one area (made at the first receiving socket). */
export function sharedReceiveArea(): ReceiveArea {
  return (shared ??= new ReceiveArea());
}
