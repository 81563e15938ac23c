import { udpBatchAddon } from './load-addon';

/** An interface's name from its index (an IPv6 source's zone, as Node's rinfo shows it), or undefined. */
export function interfaceName(index: number): string | undefined {
  return udpBatchAddon().ifName(index);
}
