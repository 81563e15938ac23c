import { LeaseRepository, QuarantineRepository } from '@app/ledger';
import { Inject, Injectable } from '@nestjs/common';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { PairSelector } from './pair-selector';

/**
 * This node's pairs in memory. Allocation takes a pair here synchronously (so concurrent
 * requests never pick the same one) and the ledger's unique index confirms it durably.
 * Loaded from the ledger at boot; every change after that follows a committed write.
 */
@Injectable()
export class PortPool {
  private selector: PairSelector;

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly quarantine: QuarantineRepository,
  ) {
    this.selector = new PairSelector(options.range.start, options.range.end);
  }

  async load(): Promise<void> {
    const { nodeId, range } = this.options;
    const [lastRelease, active, quarantined] = await Promise.all([
      this.leases.lastReleaseByPort(nodeId),
      this.leases.findActiveForNode(nodeId),
      this.quarantine.forNode(nodeId),
    ]);
    this.selector = new PairSelector(
      range.start,
      range.end,
      lastRelease,
      active.map((l) => l.rtpPort),
      quarantined.map((q) => q.rtpPort),
    );
  }

  get pairs(): PairSelector {
    return this.selector;
  }
}
