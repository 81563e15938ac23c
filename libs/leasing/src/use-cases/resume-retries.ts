import { isHostListenError } from '@app/gateway';
import { isActiveState, LeaseRepository, type Lease } from '@app/ledger';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../domain/clock';
import { END_CAUSES, endCause } from '../domain/end-causes';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { bindFailureOf, EndFailedBindUseCase } from './end-failed-bind.use-case';
import { LeaseReopener } from './lease-reopener';
import { ListenTrouble } from './listen-trouble';
import { ReleaseLeaseUseCase } from './release-lease.use-case';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 10_000;
export const DEFAULT_RESUME_RETRY_S = 300;

interface Waiting {
  lease: Lease;
  /** when its first re-open failed */
  since: number;
  attempts: number;
  port: number;
  code: string;
  timer: NodeJS.Timeout | null;
}

export interface WaitingLease {
  leaseId: string;
  port: number;
  code: string;
  since: number;
  attempts: number;
}

/**
 * Active leases whose re-open failed for a reason that is not about their pair (the bind
 * address is not up yet, the process is out of descriptors): ending them would cut every
 * stream because an interface came up late. They stay active and are re-opened with backoff
 * (1 s doubling to 10 s) while the service serves; a pair error on a retry, or still failing
 * after `resumeRetryS`, ends the lease `failed`/`bind-failed` through the release routine
 * (quarantining only for a pair error). A lease that ends meanwhile (client, TTL) is dropped.
 */
@Injectable()
export class ResumeRetries implements OnApplicationShutdown {
  private readonly logger = new Logger(ResumeRetries.name);
  private readonly waiting = new Map<string, Waiting>();
  private stopped = false;

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly reopener: LeaseReopener,
    private readonly failedBind: EndFailedBindUseCase,
    private readonly release: ReleaseLeaseUseCase,
    private readonly trouble: ListenTrouble,
    private readonly clock: Clock,
  ) {}

  /** Keeps `lease` active and retries its re-open; `err` is the host listen error its re-open hit. */
  add(lease: Lease, err: unknown): void {
    if (this.stopped || this.waiting.has(lease.id)) return;
    const { port, code } = bindFailureOf(err, lease.rtpPort);
    this.trouble.failed(port, code);
    const w: Waiting = { lease, since: this.clock.now(), attempts: 1, port, code, timer: null };
    this.waiting.set(lease.id, w);
    this.logger.warn(
      `lease ${lease.id} stream ${lease.streamId} port ${port}: listen failed (${code}), not about the pair; kept active, retrying for ${this.windowS()} s`,
    );
    this.schedule(w);
  }

  has(leaseId: string): boolean {
    return this.waiting.has(leaseId);
  }

  get size(): number {
    return this.waiting.size;
  }

  list(): WaitingLease[] {
    return [...this.waiting.values()].map((w) => ({
      leaseId: w.lease.id,
      port: w.port,
      code: w.code,
      since: w.since,
      attempts: w.attempts,
    }));
  }

  private windowS(): number {
    return this.options.resumeRetryS ?? DEFAULT_RESUME_RETRY_S;
  }

  private schedule(w: Waiting): void {
    const delay = Math.min(FIRST_DELAY_MS * 2 ** (w.attempts - 1), MAX_DELAY_MS);
    w.timer = setTimeout(() => {
      this.attempt(w).catch((err) => this.logger.error(`lease ${w.lease.id}: re-open retry failed: ${err}`));
    }, delay);
    w.timer.unref();
  }

  private drop(w: Waiting): void {
    if (w.timer) clearTimeout(w.timer);
    this.waiting.delete(w.lease.id);
  }

  private async attempt(w: Waiting): Promise<void> {
    w.timer = null;
    if (this.stopped) return;
    const id = w.lease.id;
    let lease: Lease | null;
    try {
      lease = await this.leases.findById(id);
    } catch {
      return this.schedule(w); // the ledger is away; its own checks report that
    }
    if (!lease || !isActiveState(lease.state) || lease.nodeId !== this.options.nodeId) return this.drop(w);
    w.lease = lease;
    try {
      if (lease.expiresAt <= this.clock.now()) {
        this.drop(w);
        await this.release.release(id, END_CAUSES.ttl);
        return;
      }
      const resumed = await this.reopener.reopen(lease);
      this.drop(w);
      if (resumed)
        this.logger.log(`lease ${id} stream ${lease.streamId} port ${lease.rtpPort}: listening again after ${w.attempts + 1} attempts`);
    } catch (err) {
      await this.failed(w, lease, err);
    }
  }

  private async failed(w: Waiting, lease: Lease, err: unknown): Promise<void> {
    if (!isHostListenError(err)) {
      this.drop(w);
      await this.failedBind.end(lease, err, 'resume');
      return;
    }
    const { port, code } = bindFailureOf(err, lease.rtpPort);
    Object.assign(w, { port, code, attempts: w.attempts + 1 });
    this.trouble.failed(port, code);
    const retriedMs = this.clock.now() - w.since;
    if (retriedMs < this.windowS() * 1000) return this.schedule(w);
    const retriedS = Math.round(retriedMs / 1000);
    this.drop(w);
    this.logger.warn(
      `lease ${lease.id} stream ${lease.streamId} port ${port}: listen still fails (${code}) after ${retriedS} s; ending it`,
    );
    await this.release.release(lease.id, endCause('bindFailed', { port, code, atResume: true, retriedS }));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const w of this.waiting.values()) if (w.timer) clearTimeout(w.timer);
    this.waiting.clear();
  }
}
