import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NativeBatchSocket, NativeReceiveArea, ReceiveAreaViews } from './native-types';

/** Where the addon is when not where the build puts it (a packaged install; tests of the refusal to start). */
export const UDP_BATCH_ADDON_ENV = 'PORTLEDGER_UDP_BATCH_ADDON';
/** Where `npm run build:native` puts the addon, from the repository (or image) root. */
const BUILT = join('libs', 'udp-batch', 'native', 'build', 'Release', 'udp_batch.node');

export interface UdpBatchAddon {
  ReceiveArea: new (views: ReceiveAreaViews) => NativeReceiveArea;
  BatchSocket: new (area?: NativeReceiveArea | null, onBatch?: ((count: number) => void) | null) => NativeBatchSocket;
  /** an interface's name from its index (an IPv6 zone), or undefined */
  ifName(index: number): string | undefined;
}

/** The addon could not be loaded: not built, built for another Node, or not Linux. */
export class UdpBatchUnavailableError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `the udp-batch addon (recvmmsg receive for UDP leases) cannot be loaded from ${path}: ` +
        `${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Build it with `npm run build:native` (part of `npm run build`; needs python3, make and g++), ' +
        `or point ${UDP_BATCH_ADDON_ENV} at a built udp_batch.node.`,
      { cause },
    );
    this.name = 'UdpBatchUnavailableError';
  }
}

let loaded: UdpBatchAddon | null = null;

/**
 * The native addon, loaded once per process (per worker). Throws UdpBatchUnavailableError
 * with what to do: the service has no other UDP receive path and refuses to start without it.
 */
export function udpBatchAddon(): UdpBatchAddon {
  if (loaded) return loaded;
  const path = process.env[UDP_BATCH_ADDON_ENV] || findBuilt();
  try {
    loaded = createRequire(__filename)(path) as UdpBatchAddon;
  } catch (err) {
    throw new UdpBatchUnavailableError(path, err);
  }
  return loaded;
}

/** The build output above this file: libs/udp-batch/src from the sources, dist/libs/udp-batch/src once built. */
function findBuilt(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, BUILT);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return join(__dirname, '..', 'native', 'build', 'Release', 'udp_batch.node');
  }
}
