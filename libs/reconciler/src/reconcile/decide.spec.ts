import type { QuarantineEntry, ReopenResult } from '@app/leasing';
import { describe, expect, it } from 'vitest';
import { lease, listener, NOW, osView, SOCKETS, views } from '../../../../test/fixtures/proc/captured-views';
import { compareViews, type PassViews } from './compare-views';
import { ConfirmationTracker } from './confirmation-tracker';
import { decide, type DecisionContext } from './decide';
import { FINDING_KINDS, type Observation } from './finding';
import { reopenOutcome } from './reconcile-actions';

const CONFIRM_PASSES = 2;
const MIN_AGE_MS = 10_000;

/** The one observation of `kind` (on `port`, when several) that comparing these views makes. */
function observed<K extends Observation['kind']>(kind: K, v: PassViews, port?: number): Extract<Observation, { kind: K }> {
  const found = compareViews(v).filter(
    (o): o is Extract<Observation, { kind: K }> => o.kind === kind && (port === undefined || o.port === port),
  );
  expect(found).toHaveLength(1);
  return found[0];
}

// Each observation as a pass over the captured tables (24000-24009; see test/fixtures/proc) makes it.
const OBSERVED = {
  /** the gateway holds listeners for a lease the ledger no longer has */
  orphanInGateway: observed('orphan-listener', views({ os: null, gateway: [listener('gone', 24006)] })),
  /** our process listens on 24002 (0.0.0.0) and the gateway does not know it */
  orphanInProcess: observed('orphan-listener', views({ own: (s) => s.localPort === 24002 })),
  /** the ledger's lease has no listener in the gateway */
  ghostMissing: observed('ghost-lease', views({ os: null, leases: [lease('lost', 24004)] })),
  /** the gateway has the lease, but its listener closed */
  ghostClosed: observed(
    'ghost-lease',
    views({ os: null, leases: [lease('shut', 24004)], gateway: [listener('shut', 24004, { listening: false })] }),
  ),
  /** the gateway says it listens on 24004/24005; the OS shows only [::1]:24004 */
  ghostNotInOs: observed(
    'ghost-lease',
    views({ own: (s) => s.localPort === 24004, leases: [lease('half', 24004)], gateway: [listener('half', 24004)] }),
  ),
  overdue: observed('overdue-lease', views({ leases: [lease('old', 24000, { expiresAt: NOW - 1 })] })),
  /** somebody else's listener on [::]:24006, with its accepted connection */
  foreign: observed('foreign-occupant', views(), 24006),
  /** our CLOSE_WAIT on 127.0.0.1:24000, held by lease L1 */
  stuck: observed(
    'stuck-connection',
    views({ own: (s) => s.localPort === 24000, leases: [lease('L1', 24000)], gateway: [listener('L1', 24000)] }),
  ),
  /** the quarantined pair 24004 holds nothing any more */
  /** the gateway holds a forward connection of lease 'L2' that no open session of it owns */
  orphanForward: observed(
    'orphan-forward',
    views({ os: null, forwards: [{ leaseId: 'L2', to: 'tcp://127.0.0.1:10000', state: 'up', localPort: 41000, owned: false }] }),
  ),
  quarantineCleared: observed(
    'quarantine-cleared',
    views({
      quarantine: [quarantined(24004)],
      os: osView(
        SOCKETS.filter((s) => s.localPort !== 24004),
        [],
        () => false,
      ),
    }),
  ),
};
const ALL = Object.entries(OBSERVED);
const RACY = ALL.filter(([, o]) => o.key !== null);

function quarantined(rtpPort: number): QuarantineEntry {
  return {
    nodeId: 'n',
    rtpPort,
    rtcpPort: rtpPort + 1,
    port: rtpPort,
    reason: 'foreign-occupant: uid 0',
    owner: { pid: null, command: null, uid: 0 },
    since: NOW - 1000,
  };
}

/** A pass at NOW that can see, in which a racy observation has been seen `passes` times since `ageMs` ago. */
function context(o: Observation, over: Partial<DecisionContext> & { passes?: number; ageMs?: number } = {}): DecisionContext {
  const { passes = CONFIRM_PASSES, ageMs = MIN_AGE_MS, ...rest } = over;
  return {
    now: NOW,
    seen: o.key === null ? null : { passes, firstSeen: NOW - ageMs },
    confirmPasses: CONFIRM_PASSES,
    minAgeMs: MIN_AGE_MS,
    deferred: false,
    closing: false,
    ...rest,
  };
}

describe('deciding what to do about an observation', () => {
  it('has an observation of every finding kind of the contract to decide on', () => {
    expect(new Set(ALL.map(([, o]) => o.kind))).toEqual(new Set(FINDING_KINDS));
  });

  describe('once confirmed, on a pass that can see', () => {
    it.each([
      ['orphanInGateway', { do: 'close-orphan', leaseId: 'gone', port: 24006 }],
      ['orphanInProcess', { do: 'report', why: 'held by this process outside the gateway; restart the service to free it' }],
      ['ghostMissing', { do: 'reopen', leaseId: 'lost', osSaysMissing: false, endOnBindFailure: true }],
      ['ghostClosed', { do: 'reopen', leaseId: 'shut', osSaysMissing: false, endOnBindFailure: true }],
      ['ghostNotInOs', { do: 'reopen', leaseId: 'half', osSaysMissing: true, endOnBindFailure: true }],
      ['overdue', { do: 'expire', leaseId: 'old' }],
      [
        'foreign',
        {
          do: 'quarantine-foreign',
          socket: expect.objectContaining({ localAddress: '::', localPort: 24006, state: 'LISTEN' }),
          rtpPort: 24006,
        },
      ],
      ['stuck', { do: 'disconnect', leaseId: 'L1', why: 'reconciler: CLOSE_WAIT to 127.0.0.1:34244' }],
      ['quarantineCleared', { do: 'clear-quarantine', rtpPort: 24004 }],
      ['orphanForward', { do: 'close-forward', leaseId: 'L2' }],
    ] as const)('%s: acts with %o', (name, repair) => {
      const o = OBSERVED[name];
      expect(decide(o, context(o))).toEqual({ verdict: 'act', repair });
    });

    it('expires an overdue lease at its first sighting: it is not racy', () => {
      expect(OBSERVED.overdue.key).toBeNull();
      expect(decide(OBSERVED.overdue, context(OBSERVED.overdue))).toEqual({ verdict: 'act', repair: { do: 'expire', leaseId: 'old' } });
    });
  });

  describe('racy observations wait for passes in a row and for age', () => {
    it.each(RACY)('%s: seen in one pass only, however long ago, is pending', (_, o) => {
      expect(decide(o, context(o, { passes: 1, ageMs: 3_600_000 }))).toEqual({
        verdict: 'pending',
        detail: { seenPasses: 1, firstSeenAt: new Date(NOW - 3_600_000).toISOString() },
      });
    });

    it.each(RACY)('%s: seen in enough passes but younger than the minimum age is pending; at that age it is acted on', (_, o) => {
      expect(decide(o, context(o, { passes: 5, ageMs: MIN_AGE_MS - 1 }))).toMatchObject({ verdict: 'pending', detail: { seenPasses: 5 } });
      expect(decide(o, context(o, { passes: 5, ageMs: MIN_AGE_MS }))).toMatchObject({ verdict: 'act' });
    });

    it('acts on the second pass in a row past the minimum age; a pass without the observation starts it over', () => {
      const tracker = new ConfirmationTracker();
      const o = OBSERVED.orphanInGateway;
      const pass = (now: number, seen: boolean) => {
        tracker.begin();
        const d = seen ? decide(o, { ...context(o), now, seen: tracker.observe(o.key!, now, o.fromOs) }) : null;
        tracker.end(false);
        return d?.verdict;
      };
      expect(pass(NOW, true)).toBe('pending');
      expect(pass(NOW + MIN_AGE_MS, false)).toBeUndefined();
      expect(pass(NOW + 2 * MIN_AGE_MS, true)).toBe('pending');
      expect(pass(NOW + 3 * MIN_AGE_MS, true)).toBe('act');
    });
  });

  describe('on a pass whose OS view is not trusted', () => {
    it('still re-opens lost listeners (without ending the lease if the pair cannot be bound) and expires overdue leases; every reclaim waits', () => {
      // An untrusted pass has no OS view: only the ledger and the gateway are compared.
      const pass = compareViews(
        views({
          os: null,
          leases: [lease('old', 24000, { expiresAt: NOW - 1 }), lease('lost', 24004)],
          gateway: [listener('gone', 24006)],
        }),
      );
      expect(pass.map((o) => [o.kind, decide(o, context(o, { deferred: true }))])).toEqual([
        ['overdue-lease', { verdict: 'act', repair: { do: 'expire', leaseId: 'old' } }],
        ['ghost-lease', { verdict: 'act', repair: { do: 'reopen', leaseId: 'lost', osSaysMissing: false, endOnBindFailure: false } }],
        ['orphan-listener', { verdict: 'defer' }],
      ]);
    });

    it.each(ALL.filter(([, o]) => o.kind !== 'ghost-lease' && o.kind !== 'overdue-lease' && o.kind !== 'orphan-forward'))(
      '%s: deferred',
      (_, o) => {
        expect(decide(o, context(o, { deferred: true }))).toEqual({ verdict: 'defer' });
      },
    );

    it('still closes an orphan forward connection: the gateway, not the OS, shows it', () => {
      const o = OBSERVED.orphanForward;
      expect(decide(o, context(o, { deferred: true }))).toEqual({ verdict: 'act', repair: { do: 'close-forward', leaseId: 'L2' } });
    });

    it('still counts sightings: an unconfirmed observation is pending, not deferred', () => {
      const o = OBSERVED.foreign;
      expect(decide(o, context(o, { deferred: true, passes: 1 })).verdict).toBe('pending');
    });
  });

  describe('while the service shuts down', () => {
    it.each(ALL)('%s: skipped once confirmed', (_, o) => {
      expect(decide(o, context(o, { closing: true }))).toEqual({ verdict: 'skip', why: 'shutting down' });
    });

    it('still reports an unconfirmed observation as pending', () => {
      const o = OBSERVED.stuck;
      expect(decide(o, context(o, { closing: true, passes: 1 })).verdict).toBe('pending');
    });
  });

  describe('what a chosen re-open comes to (ReopenLeaseUseCase answers, the finding reports)', () => {
    it.each([
      [{ outcome: 're-opened' }, { action: 're-opened' }],
      [{ outcome: 'ended-meanwhile' }, { action: 'skipped', detail: { why: 'the lease ended meanwhile' } }],
      [{ outcome: 'listening-again' }, { action: 'skipped', detail: { why: 'listening again' } }],
      // its release began after the read: the release routine owns its sockets
      [{ outcome: 'ending' }, { action: 'skipped', detail: { why: 'the lease is ending' } }],
      // it waits in ResumeRetries: reported, never ended by the reconciler
      [{ outcome: 'waiting' }, { action: 'reported', detail: { why: 'waiting to re-open after a listen error not about the pair' } }],
      [
        { outcome: 'host-listen-error', failure: { port: 24004, code: 'EADDRNOTAVAIL' } },
        { action: 'reported', detail: { listenFailed: { port: 24004, code: 'EADDRNOTAVAIL' }, why: 'retrying with backoff' } },
      ],
      // the untrusted pass's re-open (endOnBindFailure: false): deferred to a pass that can see
      [
        { outcome: 'bind-failed', failure: { port: 24004, code: 'EADDRINUSE' }, ended: false },
        { action: 'deferred', detail: { bindFailed: { port: 24004, code: 'EADDRINUSE' } } },
      ],
      [
        { outcome: 'bind-failed', failure: { port: 24004, code: 'EADDRINUSE' }, ended: true },
        { action: 'ended', detail: { bindFailed: { port: 24004, code: 'EADDRINUSE' } } },
      ],
    ] satisfies [ReopenResult, unknown][])('%o → %o', (result, finding) => {
      expect(reopenOutcome(result)).toEqual(finding);
    });
  });
});
