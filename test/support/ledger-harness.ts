import { GatewayModule, MediaGateway } from '@app/gateway';
import {
  AllocateLeaseUseCase,
  LeaseQueries,
  LedgerLifecycle,
  LeasingModule,
  type LeasingModuleExtras,
  ReleaseLeaseUseCase,
  RenewLeaseUseCase,
  type LeasingOptions,
} from '@app/leasing';
// Internal to leasing: tests read the in-memory pairs through it.
import { PortPool } from '../../libs/leasing/src/ports/port-pool.service';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { LeasingGatewaySurface } from './scripted-gateway';
import { createTestDatabase, type DbKind, type TestDatabase } from './test-databases';
import { tempDir } from './temp-dir';

export interface LedgerHarness {
  app: INestApplicationContext;
  db: TestDatabase;
  options: LeasingOptions;
  allocate: AllocateLeaseUseCase;
  release: ReleaseLeaseUseCase;
  renew: RenewLeaseUseCase;
  queries: LeaseQueries;
  pool: PortPool;
  gateway: MediaGateway;
  /** closes the app (sockets closed, leases left active) */
  close(): Promise<void>;
  /** closes the app and drops the database */
  destroy(): Promise<void>;
}

/** Leasing options for a harness, with the gateway's forward bounds (FORWARD_BUFFER_BYTES, FORWARD_BUFFER_TOTAL_BYTES). */
export type LedgerOverrides = Partial<LeasingOptions> & {
  range: LeasingOptions['range'];
  forwardBufferBytes?: number;
  forwardBufferTotalBytes?: number;
};

/**
 * The "medium" tier: the real ledger and gateway on a real database (SQLite file or a
 * PostgreSQL schema of its own) and real sockets on 127.0.0.1, without HTTP.
 */
export async function startLedger(
  kind: DbKind,
  overrides: LedgerOverrides,
  existing?: TestDatabase,
  extras: LeasingModuleExtras = {},
  /** a stand-in for the gateway (ScriptedGateway); the real one otherwise */
  gateway?: LeasingGatewaySurface,
): Promise<LedgerHarness> {
  const db = existing ?? (await createTestDatabase(kind));
  const records = tempDir('portledger-rec-');
  const { forwardBufferBytes, forwardBufferTotalBytes, ...leasing } = overrides;
  const options: LeasingOptions = {
    database: db.config,
    nodeId: 'test-node',
    bindHost: '127.0.0.1',
    advertisedHost: '127.0.0.1',
    leaseDefaults: { ttlS: 3600, connectTimeoutS: 3600, idleTimeoutS: 3600 },
    recordDir: records.path,
    ...leasing,
  };
  const builder = Test.createTestingModule({
    imports: [
      GatewayModule.forRoot({ bindHost: options.bindHost, forwardBufferBytes, forwardBufferTotalBytes }),
      LeasingModule.forRoot(options, extras),
    ],
  });
  if (gateway) builder.overrideProvider(MediaGateway).useValue(gateway);
  const moduleRef = await builder.compile();
  moduleRef.useLogger(false);
  const app = await moduleRef.init();
  await app.get(LedgerLifecycle).boot();
  const close = async () => {
    await app.close();
  };
  return {
    app,
    db,
    options,
    allocate: app.get(AllocateLeaseUseCase),
    release: app.get(ReleaseLeaseUseCase),
    renew: app.get(RenewLeaseUseCase),
    queries: app.get(LeaseQueries),
    pool: app.get(PortPool),
    gateway: app.get(MediaGateway),
    close,
    destroy: async () => {
      await close();
      await db.drop();
      records.cleanup();
    },
  };
}
