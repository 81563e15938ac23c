import type { GatewayListenerView } from '@app/gateway';
import { PortMap, PortSet, type PortLookup } from './port-set';

/**
 * Whether the OS's TCP tables can be trusted for this pass, judged only on listeners that
 * were stable across the read: open in the gateway before the tables were read AND still
 * open after. A listener opened or closed while the tables were read may or may not be in
 * them; on a busy node (allocation churn) those are most of the listeners, and counting
 * them made every pass look untrustworthy, so no reclaim ever happened.
 *
 * Returns why the view is not trusted, or null when it is.
 */
export function osTableProblem(
  before: readonly GatewayListenerView[],
  after: readonly GatewayListenerView[],
  osListening: PortLookup,
): string | null {
  const ports = stableListenerPorts(before, after);
  let missing = 0;
  ports.forEach((p) => {
    if (!osListening.has(p)) missing++;
  });
  // More than half absent: the read itself went wrong (a truncated or foreign table), since a
  // listener that stayed open all along must be in it.
  if (missing > 0 && missing * 2 > ports.size) {
    return `the TCP tables lack ${missing} of the ${ports.size} ports our listeners held throughout the read`;
  }
  return null;
}

/** Ports of the gateway listeners open in both snapshots, with the same ports (the same lease). */
export function stableListenerPorts(before: readonly GatewayListenerView[], after: readonly GatewayListenerView[]): PortSet {
  // Keyed by RTP port, not lease id: two open listeners never share a port, and a port index
  // costs the GC nothing where a Map of 5,000 lease ids was rebuilt every pass.
  const still = new PortMap<GatewayListenerView>();
  // Only tcp-passive leases hold TCP listeners that must be in the TCP tables.
  for (const g of after) if (g.listening && g.transport === 'tcp-passive') still.set(g.rtpPort, g);
  const ports = new PortSet();
  for (const g of before) {
    const a = still.get(g.rtpPort);
    if (!g.listening || !a || a.leaseId !== g.leaseId || a.rtcpPort !== g.rtcpPort) continue;
    ports.add(g.rtpPort).add(g.rtcpPort);
  }
  return ports;
}
