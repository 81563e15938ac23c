import { listeningPairView, type GatewayListenerView } from '@app/gateway';
import { describe, expect, it } from 'vitest';
import { capturedSockets } from '../../../../test/fixtures/proc/captured-views';
import { osTableProblem, stableListenerPorts } from './os-trust';

// The captured tables hold listeners on 24000 (tcp, 127.0.0.1), 24002 (tcp, 0.0.0.0) and
// 24004, 24006, 24008 (tcp6); nothing listens on 24001 or on 24010 and above. The views below
// pair captured listeners up as (24000, 24002) and (24004, 24006).
const RANGE = { start: 24000, end: 24099 };
const OS_LISTENING = new Set(
  [...capturedSockets('real-tcp.txt', 4, RANGE), ...capturedSockets('real-tcp6.txt', 6, RANGE)]
    .filter((s) => s.state === 'LISTEN')
    .map((s) => s.localPort),
);

const listener = (leaseId: string, rtpPort: number, over: Partial<GatewayListenerView> = {}): GatewayListenerView => ({
  leaseId,
  rtpPort,
  rtcpPort: rtpPort < 24010 ? rtpPort + 2 : rtpPort + 1,
  transport: 'tcp-passive',
  listening: true,
  connected: false,
  sockets: listeningPairView(rtpPort, rtpPort < 24010 ? rtpPort + 2 : rtpPort + 1),
  ...over,
});

/** 17 leases (34 ports) in 24010-24043 that a busy node released while the tables were read, and 17 new ones it opened. */
const churnedAway = Array.from({ length: 17 }, (_, i) => listener(`old-${i}`, 24010 + 2 * i));
const churnedIn = Array.from({ length: 17 }, (_, i) => listener(`new-${i}`, 24050 + 2 * i));

describe('trusting the OS view of a pass', () => {
  it('holds the captured tables true when every listener that stayed open is in them', () => {
    expect(OS_LISTENING.has(24000) && OS_LISTENING.has(24008)).toBe(true);
    const steady = [listener('a', 24000)];
    expect(osTableProblem(steady, steady, OS_LISTENING)).toBeNull();
  });

  it('does not count listeners opened or closed during the read (allocation churn)', () => {
    const stable = [listener('a', 24000)];
    // Before: the stable lease and 17 that were about to be released; after: the stable lease and 17 new ones.
    const problem = osTableProblem([...stable, ...churnedAway], [...stable, ...churnedIn], OS_LISTENING);
    expect(problem).toBeNull();
    expect([...stableListenerPorts([...stable, ...churnedAway], [...stable, ...churnedIn])]).toEqual([24000, 24002]);
  });

  it('trusts a pass in which every listener churned: nothing stable, nothing to contradict', () => {
    expect(osTableProblem(churnedAway, churnedIn, OS_LISTENING)).toBeNull();
  });

  it('distrusts tables that lack most of the listeners open before and after the read', () => {
    const steady = [listener('a', 24000), listener('b', 24010), listener('c', 24012)];
    expect(osTableProblem(steady, steady, OS_LISTENING)).toBe(
      'the TCP tables lack 4 of the 6 ports our listeners held throughout the read',
    );
  });

  it('tolerates a minority of stable listeners missing (the ghost-lease check handles each one)', () => {
    const steady = [listener('a', 24000), listener('b', 24004), listener('c', 24010)];
    expect(OS_LISTENING.has(24010) || OS_LISTENING.has(24011)).toBe(false);
    expect(osTableProblem(steady, steady, OS_LISTENING)).toBeNull();
  });

  it('counts a lease as stable only if it listened on the same ports in both snapshots', () => {
    const before = [listener('a', 24010), listener('b', 24012, { listening: false })];
    const after = [listener('a', 24020), listener('b', 24012)];
    expect(stableListenerPorts(before, after).size).toBe(0);
    expect(osTableProblem(before, after, OS_LISTENING)).toBeNull();
  });
});
