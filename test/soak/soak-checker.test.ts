import { expect, test } from 'vitest';
import { portBlock } from '../support/port-blocks';
import { defaultOptions, runSoak } from './soak-runner';

// The checker must be able to fail: a listener or a UDP socket in the range that no lease holds
// and that the fault injector did not register is exactly what a leaked port looks like from outside.
test('the soak checker reports a listener and a UDP socket in the range that no active lease holds', async () => {
  const b = portBlock(44);
  const [start, end] = b.range(40).split('-').map(Number);
  const r = await runSoak(
    defaultOptions({
      db: 'sqlite',
      durationS: 40,
      range: { start, end },
      httpPort: b.http(0),
      webhookPort: b.http(1),
      pgProxyPort: b.http(2),
      workers: 4,
      seed: 44,
      reconcileIntervalS: 2,
      killEveryS: null,
      foreignEveryS: null,
      webhookFlapEveryS: null,
      rogueListenerAtS: 5,
      rogueUdpAtS: 8,
      progressEveryS: 60,
      log: () => undefined,
    }),
  );
  expect(r.metrics.leases_churned).toBeGreaterThan(10);
  expect(r.violations.map((v) => v.kind).sort()).toEqual(['listener-without-lease', 'udp-socket-without-lease']);
  for (const v of r.violations) expect(v.detail).toMatch(/no active (\w+ )?lease holds it/);
  expect(r.metrics.leaked_listeners).toBe(0);
}, 180_000);
