import {
  CloseOrphanListenerUseCase,
  DisconnectDeviceUseCase,
  END_CAUSES,
  LeaseQueries,
  QuarantinePairUseCase,
  ReleaseLeaseUseCase,
  ReopenLeaseUseCase,
  type ReopenResult,
} from '@app/leasing';
import { Injectable } from '@nestjs/common';
import { SocketOwnerResolver } from '../os/socket-owner.resolver';
import type { TcpSocket } from '../os/tcp-socket';
import type { Repair } from './decide';
import type { FindingAction } from './finding';

export type Outcome = { action: FindingAction; detail?: Record<string, unknown> };

/** Carries out what decide() chose, through libs/leasing's use cases; says what came of it. */
@Injectable()
export class ReconcileActions {
  constructor(
    private readonly release: ReleaseLeaseUseCase,
    private readonly reopening: ReopenLeaseUseCase,
    private readonly orphans: CloseOrphanListenerUseCase,
    private readonly devices: DisconnectDeviceUseCase,
    private readonly quarantine: QuarantinePairUseCase,
    private readonly queries: LeaseQueries,
    private readonly owners: SocketOwnerResolver,
  ) {}

  async run(r: Repair): Promise<Outcome> {
    switch (r.do) {
      case 'expire': {
        const lease = await this.release.release(r.leaseId, END_CAUSES.ttl);
        return lease.state === 'expired' ? { action: 'expired' } : { action: 'skipped', detail: { endedAs: lease.state } };
      }
      case 'reopen':
        return reopenOutcome(await this.reopening.reopen(r.leaseId, r));
      case 'close-orphan': {
        const closed = await this.orphans.close(r.leaseId, r.port);
        if (closed.outcome === 'lease-active') return { action: 'skipped', detail: { why: 'the lease is active now' } };
        return { action: 'closed', detail: { leaseState: closed.leaseState } };
      }
      case 'close-forward':
        return (await this.orphans.closeForwards(r.leaseId)) > 0
          ? { action: 'closed' }
          : { action: 'skipped', detail: { why: 'the forward connection had gone' } };
      case 'report':
        return { action: 'reported', detail: { why: r.why } };
      case 'quarantine-foreign':
        return this.quarantineForeign(r.socket, r.rtpPort);
      case 'clear-quarantine':
        return { action: (await this.quarantine.clear(r.rtpPort)) ? 'cleared' : 'skipped' };
      case 'disconnect': {
        const done = r.leaseId === null ? 'no-lease' : this.devices.disconnect(r.leaseId, r.why);
        if (done === 'no-lease') return { action: 'reported', detail: { why: 'no lease of the gateway holds this connection' } };
        return done === 'destroyed' ? { action: 'destroyed' } : { action: 'skipped', detail: { why: 'the connection had gone' } };
      }
    }
  }

  private async quarantineForeign(s: Pick<TcpSocket, 'inode' | 'uid' | 'localPort'>, rtpPort: number): Promise<Outcome> {
    const owner = (await this.owners.resolve([s])).get(s.inode) ?? { pid: null, command: null, uid: s.uid };
    if (this.queries.pairStatus(rtpPort) === 'taken')
      return { action: 'reported', detail: { owner, why: 'the pair is leased; it cannot be quarantined' } };
    const who = owner.pid !== null ? `pid ${owner.pid} ${owner.command ?? ''}`.trim() : `uid ${owner.uid}`;
    await this.quarantine.quarantine(s.localPort, `foreign-occupant: ${who}`, owner);
    return { action: 'quarantined', detail: { owner } };
  }
}

/** What a re-open came to, as the finding reports it. */
export function reopenOutcome(r: ReopenResult): Outcome {
  switch (r.outcome) {
    case 're-opened':
      return { action: 're-opened' };
    case 'ended-meanwhile':
      return { action: 'skipped', detail: { why: 'the lease ended meanwhile' } };
    case 'listening-again':
      return { action: 'skipped', detail: { why: 'listening again' } };
    case 'ending':
      return { action: 'skipped', detail: { why: 'the lease is ending' } };
    case 'waiting':
      return { action: 'reported', detail: { why: 'waiting to re-open after a listen error not about the pair' } };
    case 'host-listen-error':
      return { action: 'reported', detail: { listenFailed: r.failure, why: 'retrying with backoff' } };
    case 'bind-failed':
      return { action: r.ended ? 'ended' : 'deferred', detail: { bindFailed: r.failure } };
  }
}
