import { GatewayModule, MediaGateway, type LeaseBinding } from '@app/gateway';
import {
  AllocateLeaseUseCase,
  Clock,
  ExpirySweeper,
  LeaseQueries,
  LedgerLifecycle,
  LeasingModule,
  QuarantinePairUseCase,
  ReleaseLeaseUseCase,
  type LeasingOptions,
} from '@app/leasing';
// Internal to leasing: tests read the in-memory pairs through it.
import { PortPool } from '../../libs/leasing/src/ports/port-pool.service';
import { ReconcileReports, Reconciler, ReconcilerModule, type ReconcilerOptions } from '@app/reconciler';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:net';
import { aLease, bindingOf } from './lease-builder';
import { tempDir } from './temp-dir';
import { createTestDatabase, type DbKind, type TestDatabase } from './test-databases';

/** Wall-clock time plus an offset the test can push forward (the ledger's Clock is injectable). */
export class TestClock extends Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface ReconcilerHarness {
  app: INestApplicationContext;
  db: TestDatabase;
  clock: TestClock;
  reconciler: Reconciler;
  reports: ReconcileReports;
  allocate: AllocateLeaseUseCase;
  release: ReleaseLeaseUseCase;
  quarantine: QuarantinePairUseCase;
  queries: LeaseQueries;
  pool: PortPool;
  gateway: MediaGateway;
  /** closes a lease's RTP listener behind the gateway's back (the server object itself) */
  loseListener(leaseId: string): Promise<void>;
  /** opens a listener pair in the gateway for a lease id the ledger does not have */
  /** opens sockets in the gateway for a lease the ledger does not have (tcp-passive unless told) */
  openOrphan(leaseId: string, rtpPort: number, transport?: 'tcp-passive' | 'udp'): Promise<void>;
  destroy(): Promise<void>;
}

export interface HarnessOptions {
  range: { start: number; end: number };
  /** fast defaults for tests: no minimum age, two passes */
  reconciler?: Partial<ReconcilerOptions>;
  ledger?: Partial<LeasingOptions>;
}

/** The real ledger, gateway and reconciler on a real database and real sockets on 127.0.0.1, without HTTP. */
export async function startReconciler(kind: DbKind, o: HarnessOptions): Promise<ReconcilerHarness> {
  const db = await createTestDatabase(kind);
  const records = tempDir('portledger-rec-');
  const clock = new TestClock();
  const options: LeasingOptions = {
    database: db.config,
    nodeId: 'reconcile-node',
    bindHost: '127.0.0.1',
    advertisedHost: '127.0.0.1',
    leaseDefaults: { ttlS: 3600, connectTimeoutS: 3600, idleTimeoutS: 3600 },
    recordDir: records.path,
    range: o.range,
    ...o.ledger,
  };
  const moduleRef = await Test.createTestingModule({
    imports: [
      GatewayModule.forRoot({ bindHost: options.bindHost }),
      LeasingModule.forRoot(options, { clock }),
      ReconcilerModule.forRoot({ intervalS: 3600, minAgeMs: 0, ...o.reconciler }),
    ],
  }).compile();
  moduleRef.useLogger(false);
  const app = await moduleRef.init();
  await app.get(LedgerLifecycle).boot();
  // The reconciler is what these tests exercise; the ledger's own TTL sweep stays out of the way.
  app.get(ExpirySweeper).stop();
  const gateway = app.get(MediaGateway);
  const sessions = () => (gateway as unknown as { leases: Map<string, { sockets: { pair?: { rtp: Server } } }> }).leases;
  return {
    app,
    db,
    clock,
    reconciler: app.get(Reconciler),
    reports: app.get(ReconcileReports),
    allocate: app.get(AllocateLeaseUseCase),
    release: app.get(ReleaseLeaseUseCase),
    quarantine: app.get(QuarantinePairUseCase),
    queries: app.get(LeaseQueries),
    pool: app.get(PortPool),
    gateway,
    loseListener: async (leaseId) => {
      const server = sessions().get(leaseId)?.sockets.pair?.rtp;
      if (!server) throw new Error(`lease ${leaseId} has no listener here`);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    openOrphan: (leaseId, rtpPort, transport = 'tcp-passive') => gateway.open(orphanBinding(leaseId, rtpPort, transport)),
    destroy: async () => {
      await app.close();
      await db.drop();
      records.cleanup();
    },
  };
}

function orphanBinding(leaseId: string, rtpPort: number, transport: 'tcp-passive' | 'udp'): LeaseBinding {
  return bindingOf(aLease({ id: leaseId, streamId: `orphan-${rtpPort}`, rtpPort, transport, connectTimeoutS: 3600, idleTimeoutS: 3600 }));
}

/** The findings of one kind in a report, as [action, port, leaseId]. */
export function findingsOf(
  report: { findings: Array<{ kind: string; action: string; port: number | null; leaseId: string | null }> },
  kind: string,
) {
  return report.findings.filter((f) => f.kind === kind).map((f) => [f.action, f.port, f.leaseId]);
}
