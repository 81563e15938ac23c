import { LedgerDatabase, QuarantineRepository, type PortOwner } from '@app/ledger';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { PortPool } from '../ports/port-pool.service';

const UNKNOWN_OWNER: PortOwner = { pid: null, command: null, uid: null };

/** Takes a pair out of circulation (another process holds one of its ports) and puts it back. */
@Injectable()
export class QuarantinePairUseCase {
  private readonly logger = new Logger(QuarantinePairUseCase.name);

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly db: LedgerDatabase,
    private readonly repo: QuarantineRepository,
    private readonly pool: PortPool,
    private readonly clock: Clock,
  ) {}

  async quarantine(port: number, reason: string, owner: PortOwner = UNKNOWN_OWNER): Promise<void> {
    const rtpPort = this.pool.pairs.rtpPortOf(port);
    if (rtpPort === null) return;
    const { nodeId } = this.options;
    await this.db.transaction((tx) =>
      this.repo.put(tx, { nodeId, rtpPort, rtcpPort: rtpPort + 1, port, reason, owner, since: this.clock.now() }),
    );
    this.pool.pairs.quarantine(rtpPort);
    this.logger.warn(
      `pair ${rtpPort}/${rtpPort + 1} quarantined: ${reason} (port ${port}, pid ${owner.pid ?? '?'} ${owner.command ?? ''})`,
    );
  }

  async clear(rtpPort: number): Promise<boolean> {
    const removed = await this.db.transaction((tx) => this.repo.remove(tx, this.options.nodeId, rtpPort));
    this.pool.pairs.unquarantine(rtpPort);
    if (removed) this.logger.log(`pair ${rtpPort}/${rtpPort + 1} back in circulation`);
    return removed;
  }
}
