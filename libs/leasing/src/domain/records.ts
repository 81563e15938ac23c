/** The persisted shapes leasing works with (the ledger defines them; callers import them from here). */
export { ACTIVE_STATES, TERMINAL_STATES, TRANSPORTS, isActiveState } from '@app/ledger';
export type { ActiveState, Lease, LeaseEvent, LeaseState, PortOwner, QuarantineEntry, TerminalState, Transport } from '@app/ledger';
