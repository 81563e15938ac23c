/** Connections without an accepted packet reported per lease; the rest are only counted. */
export const MAX_REPORTED_SILENT_CONNECTIONS = 16;
/**
 * Connections reported per lease in all: even a peer that delivers one accepted packet per
 * connection in a loop writes a bounded number of events. A device rarely reconnects this
 * often within one lease; past it, connections are only counted (the lease state still follows).
 */
export const MAX_REPORTED_CONNECTIONS = 256;

/**
 * Decides which RTP connections of one lease get their events (`peer-connected`,
 * `first-packet`, `peer-disconnected`), so that no input on the media port can grow the ledger
 * without bound, while a device that streams stays visible:
 * - a connection that delivers an accepted packet is reported, up to MAX_REPORTED_CONNECTIONS;
 * - of those that deliver none (silent, foreign SSRC only, garbage), only the first
 *   MAX_REPORTED_SILENT_CONNECTIONS are reported.
 * Whether a connection will deliver media is known only later, so `peer-connected` is written
 * at accept while a silent slot is left (whatever the connection then does, it fits the caps),
 * and once they are used up at the connection's first accepted packet. A lease serves one RTP
 * connection at a time (a second is refused), so a connection's outcome is folded in before
 * the next one is accepted and the caps are exact.
 */
export class ConnectionReports {
  /** connections whose `peer-connected` was written */
  private reported = 0;
  /** of those, the ones that ended without an accepted packet */
  private reportedSilent = 0;
  /** connections that ended without an accepted packet */
  noMedia = 0;
  /** connections that ended with no event written for them */
  unreported = 0;

  /** A connection was accepted: whether to write its `peer-connected` now. */
  reportAtAccept(): boolean {
    return this.reportedSilent < MAX_REPORTED_SILENT_CONNECTIONS && this.take();
  }

  /** An unreported connection delivered its first accepted packet: whether to write its `peer-connected` now. */
  reportAtFirstPacket(): boolean {
    return this.take();
  }

  /** A connection ended; `streamed`: it delivered an accepted packet. */
  ended(reported: boolean, streamed: boolean): void {
    if (!streamed) {
      this.noMedia++;
      if (reported) this.reportedSilent++;
    }
    if (!reported) this.unreported++;
  }

  private take(): boolean {
    if (this.reported >= MAX_REPORTED_CONNECTIONS) return false;
    this.reported++;
    return true;
  }
}
