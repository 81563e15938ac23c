import { FORWARD_TARGET_RULE, normalizeAddress, parseForwardTarget } from '@app/gateway';
import { TRANSPORTS, type Transport } from '@app/ledger';
import { canonicalSsrc } from '@app/rtp';
import { isIP } from 'node:net';
import { InvalidLeaseInputError } from '../errors/invalid-lease-input.error';
import { STREAM_ID, STREAM_ID_RULE } from './stream-id';

/**
 * Lease inputs in the one form the ledger stores, whichever entry point they came through (REST,
 * the ZLMediaKit API, tests): the entry points check the transport shape, the use cases call these.
 */
export function leaseStreamId(streamId: string): string {
  if (!STREAM_ID.test(streamId)) throw new InvalidLeaseInputError('streamId', STREAM_ID_RULE);
  return streamId;
}

const SSRC_RULE = 'a decimal string or number in 0..4294967295';

/** The 10-digit form ("0200000001") of an SSRC given as a number or a decimal string. */
export function leaseSsrc(ssrc: string | number, field: 'ssrc' | 'forwardSsrc' = 'ssrc'): string {
  const ok = typeof ssrc === 'number' ? Number.isInteger(ssrc) && ssrc >= 0 : typeof ssrc === 'string' && /^\d{1,10}$/.test(ssrc);
  if (!ok || Number(ssrc) > 0xffffffff) throw new InvalidLeaseInputError(field, SSRC_RULE);
  return canonicalSsrc(ssrc);
}

/**
 * Where a lease forwards its stream: the request's `forward` (null opts out), else the node's
 * default (FORWARD_TO, null when unset), in one spelling (see parseForwardTarget).
 */
export function leaseForward(forward: string | null | undefined, fallback: string | null): string | null {
  const asked = forward === undefined ? fallback : forward;
  if (asked === null) return null;
  const target = typeof asked === 'string' ? parseForwardTarget(asked) : null;
  if (target === null) throw new InvalidLeaseInputError('forward', `${FORWARD_TARGET_RULE}, or null`);
  return target.url;
}

/** One spelling per address (see normalizeAddress), so it compares with a socket's remoteAddress. */
export function leasePeerAddress(address: string): string {
  const normal = normalizeAddress(address);
  if (isIP(normal) === 0) throw new InvalidLeaseInputError('peerAddress', 'an IPv4 or IPv6 address');
  return normal;
}

const TRANSPORT_RULE = `one of ${TRANSPORTS.map((t) => `"${t}"`).join(', ')}`;

/** The lease's media transport; absent means tcp-passive (the contract's default). */
export function leaseTransport(transport: string | undefined): Transport {
  if (transport === undefined) return 'tcp-passive';
  if (!(TRANSPORTS as readonly string[]).includes(transport)) throw new InvalidLeaseInputError('transport', TRANSPORT_RULE);
  return transport as Transport;
}

/** A TCP/UDP port a device listens on (tcp-active's peerPort, the connect call's port). */
export function leasePeerPort(port: number, field: 'peerPort' | 'port' = 'peerPort'): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidLeaseInputError(field, 'an integer in 1..65535');
  return port;
}
