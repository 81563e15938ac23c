import { isHostListenError, LeaseEndingError, MediaGateway, type BindError } from '@app/gateway';
import { isUniqueViolation, LeaseRepository, type Lease, type Transport } from '@app/ledger';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Clock } from '../domain/clock';
import { END_CAUSES, endCause } from '../domain/end-causes';
import { IdGenerator } from '../domain/ids';
import { toBinding } from '../domain/lease-binding.mapper';
import { leaseForward, leasePeerAddress, leasePeerPort, leaseSsrc, leaseStreamId, leaseTransport } from '../domain/lease-input';
import { recordDirFor, recordPathFor } from '../domain/record-path';
import { InvalidLeaseInputError, LedgerUnavailableError, ListenFailedError, PortRangeExhaustedError, StreamConflictError } from '../errors';
import { DomainError } from '../errors/domain.error';
import { ExpiryScheduler } from '../expiry/expiry-scheduler';
import { LEASING_OPTIONS, type LeasingOptions } from '../leasing.options';
import { PortPool } from '../ports/port-pool.service';
import { LedgerTelemetry } from '../telemetry/ledger-telemetry';
import { LeaseTransitionWriter } from '../transitions/lease-transition.writer';
import { transitioned } from '../transitions/lease-transitions';
import type { AllocateRequest, AllocateResult } from './allocate-request';
import { bindFailureOf, EndFailedBindUseCase } from './end-failed-bind.use-case';
import { ListenTrouble } from './listen-trouble';
import { ReleaseLeaseUseCase } from './release-lease.use-case';

/** An allocation request in the ledger's form (lease-input.ts). */
type NormalRequest = Omit<AllocateRequest, 'ssrc' | 'transport' | 'forward' | 'forwardSsrc'> & {
  ssrc?: string;
  transport: Transport;
  /** the transport as the request named it (undefined: not named, so any matches an existing lease) */
  namedTransport?: Transport;
  forward: string | null;
  forwardSsrc?: string;
};

/**
 * The one allocation routine (REST, the ZLMediaKit-compatible API, and anything later):
 * take the least-recently-released pair in memory → INSERT the lease `reserved` (the partial
 * unique indexes are the compare-and-swap) → listen on both ports → mark `listening`.
 * A pair that cannot be bound (EADDRINUSE, EACCES) is quarantined, its attempt ends `failed`
 * through the release routine, and the next pair is tried; a listen() error about the host
 * quarantines nothing and answers `listen_failed`. A crash at any step leaves a row the boot pass resumes.
 */
@Injectable()
export class AllocateLeaseUseCase {
  private readonly logger = new Logger(AllocateLeaseUseCase.name);

  constructor(
    @Inject(LEASING_OPTIONS) private readonly options: LeasingOptions,
    private readonly leases: LeaseRepository,
    private readonly writer: LeaseTransitionWriter,
    private readonly gateway: MediaGateway,
    private readonly pool: PortPool,
    private readonly release: ReleaseLeaseUseCase,
    private readonly failedBind: EndFailedBindUseCase,
    private readonly expiry: ExpiryScheduler,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly telemetry: LedgerTelemetry,
    private readonly trouble: ListenTrouble,
  ) {}

  async allocate(request: AllocateRequest): Promise<AllocateResult> {
    try {
      const result = await this.allocateOnce(normalised(request, this.options.forwardTo ?? null));
      if (result.created && result.lease.state === 'listening') this.telemetry.allocated();
      return result;
    } catch (err) {
      this.telemetry.allocationFailed(err instanceof DomainError ? err.code : 'internal_error');
      throw err;
    }
  }

  private async allocateOnce(req: NormalRequest): Promise<AllocateResult> {
    const existing = await this.readActive(req.streamId);
    if (existing) return this.matchExisting(existing, req);
    // Before a pair is taken: a streamId that cannot be recorded is refused with nothing to undo.
    if (req.record) recordDirFor(this.options.recordDir, req.streamId);

    const failures: string[] = [];
    for (;;) {
      const rtpPort = this.takePair(req);
      if (rtpPort === null) {
        throw new PortRangeExhaustedError(
          failures.length ? `bind failed on ${failures.join(', ')}` : 'every pair is leased or quarantined',
        );
      }
      const lease = this.newLease(req, rtpPort);
      const inserted = await this.insertReserved(lease);
      if (inserted !== 'ok') {
        if (inserted === 'stream-taken') this.pool.pairs.giveBack(rtpPort);
        if (inserted === 'stream-taken') {
          const winner = await this.readActive(req.streamId);
          if (winner) return this.matchExisting(winner, req);
        }
        if (req.rtpPort !== undefined) throw new PortRangeExhaustedError(`pair ${rtpPort} is taken`);
        continue;
      }
      if (this.options.testDelayAfterInsertMs) await sleep(this.options.testDelayAfterInsertMs);

      try {
        await this.gateway.open(toBinding(lease));
        this.trouble.succeeded();
      } catch (err) {
        if (err instanceof LeaseEndingError) return { lease: await this.asEnded(lease), created: true };
        if (isHostListenError(err)) return this.hostListenFailed(lease, err);
        const { port, code } = bindFailureOf(err, rtpPort);
        this.logger.warn(`lease ${lease.id} stream ${lease.streamId} port ${port}: listen failed (${code}), trying the next pair`);
        await this.failedBind.end(lease, err, 'allocation');
        failures.push(`${port} (${code})`);
        if (req.rtpPort !== undefined) throw new PortRangeExhaustedError(`bind failed on ${failures.join(', ')}`);
        continue;
      }

      const now = this.clock.now();
      const opened = { kind: 'listening', bindHost: this.options.bindHost } as const;
      let listening: boolean;
      try {
        listening = await this.writer.apply(lease, opened, now);
      } catch (err) {
        // The ledger went away after listen(): no listener may outlive the answer. The release
        // routine closes both and writes `failed` once the ledger is back; until then the pair
        // stays out of the free list.
        await this.release.releaseHeld(lease, END_CAUSES.ledgerUnavailable).catch(() => undefined);
        throw new LedgerUnavailableError(err);
      }
      if (!listening) {
        // Ended before our listen() (e.g. DELETE by streamId during the insert→listen window),
        // so long ago that the gateway no longer refused the open: what we opened is closed here.
        await this.gateway.close(lease.id);
        return { lease: await this.asEnded(lease), created: true };
      }
      if (this.gateway.isEnding(lease.id)) {
        // A release began after our listen() and is closing the sockets: no listening-looking answer.
        return { lease: await this.asEnded(lease), created: true };
      }
      this.expiry.arm(lease);
      this.logger.log(`lease ${lease.id} stream ${lease.streamId} port ${rtpPort}: listening`);
      return { lease: transitioned(lease, opened, now), created: true };
    }
  }

  /**
   * listen() failed for a reason every pair would share (bind address not up, out of
   * descriptors): the attempt ends `failed` through the release routine, its pair goes back to
   * the free list unquarantined, and the caller gets `listen_failed` naming the error.
   */
  private async hostListenFailed(lease: Lease, err: BindError): Promise<never> {
    this.trouble.failed(err.port, err.code);
    this.logger.warn(
      `lease ${lease.id} stream ${lease.streamId} port ${err.port}: listen failed (${err.code}), not about the pair; nothing quarantined`,
    );
    await this.release.release(lease.id, endCause('bindFailed', { port: err.port, code: err.code }));
    throw new ListenFailedError(this.options.bindHost, err.code);
  }

  /**
   * The lease as the release that beat us left it. The POST that lost the race still answers
   * 201 (the lease was created) but with the terminal state, and none of its ports listens.
   * release() joins the release in flight, or reads the row it already ended.
   */
  private async asEnded(lease: Lease): Promise<Lease> {
    return this.release.release(lease.id);
  }

  private takePair(req: NormalRequest): number | null {
    const pairs = this.pool.pairs;
    if (req.rtpPort === undefined) return pairs.take();
    return pairs.takeSpecific(req.rtpPort) ? req.rtpPort : null;
  }

  private async readActive(streamId: string): Promise<Lease | null> {
    try {
      return await this.leases.findActiveByStream(this.options.nodeId, streamId);
    } catch (err) {
      throw new LedgerUnavailableError(err);
    }
  }

  private newLease(req: NormalRequest, rtpPort: number): Lease {
    const d = this.options.leaseDefaults;
    const now = this.clock.now();
    const id = this.ids.next();
    const ttlS = req.ttlSeconds ?? d.ttlS;
    return {
      id,
      nodeId: this.options.nodeId,
      streamId: req.streamId,
      host: this.options.advertisedHost,
      rtpPort,
      rtcpPort: rtpPort + 1,
      transport: req.transport,
      state: 'reserved',
      ssrc: req.ssrc ?? null,
      peerAddress: req.peerAddress ?? null,
      peerPort: req.peerPort ?? null,
      client: req.client ?? null,
      record: req.record ?? false,
      recordPath: req.record ? recordPathFor(this.options.recordDir, req.streamId, id, now) : null,
      forward: req.forward,
      forwardSsrc: req.forwardSsrc ?? null,
      ttlS,
      connectTimeoutS: req.connectTimeoutSeconds ?? d.connectTimeoutS,
      idleTimeoutS: req.idleTimeoutSeconds ?? d.idleTimeoutS,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + ttlS * 1000,
      releasedAt: null,
      releaseReason: null,
      finalStats: null,
    };
  }

  private async insertReserved(lease: Lease): Promise<'ok' | 'stream-taken' | 'pair-taken'> {
    try {
      await this.writer.apply(lease, { kind: 'allocated' }, lease.createdAt);
      return 'ok';
    } catch (err) {
      if (isUniqueViolation(err, 'ux_leases_active_stream')) return 'stream-taken';
      if (isUniqueViolation(err, 'ux_leases_active_port')) {
        // Another writer holds this pair for our node (should not happen with one process per
        // node); keep it out of our free list and try the next.
        this.pool.pairs.markTaken(lease.rtpPort);
        return 'pair-taken';
      }
      this.pool.pairs.giveBack(lease.rtpPort);
      throw new LedgerUnavailableError(err);
    }
  }

  private matchExisting(lease: Lease, req: NormalRequest): AllocateResult {
    const diffs: string[] = [];
    const cmp = (field: string, asked: unknown, has: unknown) => {
      if (asked !== undefined && asked !== has) diffs.push(field);
    };
    cmp('transport', req.namedTransport, lease.transport);
    cmp('ssrc', req.ssrc, lease.ssrc);
    cmp('peerAddress', req.peerAddress, lease.peerAddress);
    cmp('peerPort', req.peerPort, lease.peerPort);
    cmp('client', req.client, lease.client);
    cmp('record', req.record, lease.record);
    cmp('ttlSeconds', req.ttlSeconds, lease.ttlS);
    cmp('connectTimeoutSeconds', req.connectTimeoutSeconds, lease.connectTimeoutS);
    cmp('idleTimeoutSeconds', req.idleTimeoutSeconds, lease.idleTimeoutS);
    cmp('rtpPort', req.rtpPort, lease.rtpPort);
    cmp('forward', req.forward, lease.forward);
    cmp('forwardSsrc', req.forwardSsrc, lease.forwardSsrc);
    if (diffs.length) throw new StreamConflictError(lease.streamId, lease.id, diffs);
    return { lease, created: false };
  }
}

function normalised(req: AllocateRequest, forwardTo: string | null): NormalRequest {
  const transport = leaseTransport(req.transport);
  // Only a tcp-active lease dials; a port to dial means nothing to the others.
  if (req.peerPort !== undefined && transport !== 'tcp-active')
    throw new InvalidLeaseInputError('peerPort', 'only for transport "tcp-active" (the device\'s port the service dials)');
  return {
    ...req,
    transport,
    namedTransport: req.transport === undefined ? undefined : transport,
    peerPort: req.peerPort === undefined ? undefined : leasePeerPort(req.peerPort),
    forward: leaseForward(req.forward, forwardTo),
    forwardSsrc: req.forwardSsrc === undefined ? undefined : leaseSsrc(req.forwardSsrc, 'forwardSsrc'),
    streamId: leaseStreamId(req.streamId),
    ssrc: req.ssrc === undefined ? undefined : leaseSsrc(req.ssrc),
    peerAddress: req.peerAddress === undefined ? undefined : leasePeerAddress(req.peerAddress),
  };
}
