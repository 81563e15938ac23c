import type { TerminalState } from '@app/ledger';

/** One way a lease can end: the terminal state written, the contract's reason text, the webhook sent, and when it happens. */
export interface EndCauseSpec {
  readonly state: TerminalState;
  readonly reason: string;
  readonly webhook: 'lease.ended';
  readonly when: string;
}

/**
 * Every way a lease ends. The release routine is the only writer of a terminal state and takes
 * only members of this catalogue; README's "How a lease ends" table is generated from it
 * (scripts/end-causes-table.mjs) and checked against it (end-causes.spec.ts).
 */
export const END_CAUSES = {
  clientRelease: {
    state: 'released',
    reason: 'client',
    webhook: 'lease.ended',
    when: 'a client released it: `DELETE /leases/{id}`, `DELETE /leases?streamId=`, ZLM `closeRtpServer`',
  },
  ttl: {
    state: 'expired',
    reason: 'ttl',
    webhook: 'lease.ended',
    when: '`expiresAt` passed without a renewal (its timer, the expiry sweep, the boot pass or the reconciler)',
  },
  connectTimeout: {
    state: 'expired',
    reason: 'connect-timeout',
    webhook: 'lease.ended',
    when: 'no device delivered accepted media within `connectTimeoutSeconds` of the lease opening',
  },
  idleTimeout: {
    state: 'expired',
    reason: 'idle-timeout',
    webhook: 'lease.ended',
    when: 'the stream delivered no accepted media for `idleTimeoutSeconds`',
  },
  bindFailed: {
    state: 'failed',
    reason: 'bind-failed',
    webhook: 'lease.ended',
    when: 'listen() failed on the pair at allocation or at boot; the pair is quarantined (and allocation tries the next one)',
  },
  ledgerUnavailable: {
    state: 'failed',
    reason: 'ledger-unavailable',
    webhook: 'lease.ended',
    when: 'the ledger went away between listen() and the `listening` write of an allocation; written once the ledger is back',
  },
  listenerLost: {
    state: 'reclaimed',
    reason: 'listener-lost',
    webhook: 'lease.ended',
    when: "the reconciler found the lease's listener gone and its port can no longer be bound; the pair is quarantined",
  },
} as const satisfies Record<string, EndCauseSpec>;

export type EndCauseName = keyof typeof END_CAUSES;
export type EndReason = (typeof END_CAUSES)[EndCauseName]['reason'];

/** A member of the catalogue, with what this particular end adds to its event (port, errno …). */
export type EndCause = (typeof END_CAUSES)[EndCauseName] & { readonly detail?: Record<string, unknown> };

export function endCause(name: EndCauseName, detail?: Record<string, unknown>): EndCause {
  return detail === undefined ? END_CAUSES[name] : { ...END_CAUSES[name], detail };
}
