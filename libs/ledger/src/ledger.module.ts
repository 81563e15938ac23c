import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { LedgerDatabase } from './database/ledger-database';
import { NodeLock } from './node-lock/node-lock.service';
import { Clock, SystemClock } from './domain/clock';
import { IdGenerator, UuidGenerator } from './domain/ids';
import { LEDGER_OPTIONS, type LedgerOptions } from './ledger.options';
import { PortPool } from './ports/port-pool.service';
import { LeaseEventRepository } from './repositories/lease-event.repository';
import { LeaseRepository } from './repositories/lease.repository';
import { QuarantineRepository } from './repositories/quarantine.repository';
import { ReconcileReportRepository } from './repositories/reconcile-report.repository';
import { AllocateLeaseUseCase } from './use-cases/allocate-lease.use-case';
import { EndFailedBindUseCase } from './use-cases/end-failed-bind.use-case';
import { ExpirySweeper } from './use-cases/expiry-sweeper';
import { ExpiryTimers } from './use-cases/expiry-timers';
import { HistoryRetention } from './use-cases/history-retention';
import { LeaseActivityRecorder } from './use-cases/lease-activity.recorder';
import { LeaseReopener } from './use-cases/lease-reopener';
import { ListenTrouble } from './use-cases/listen-trouble';
import { ResumeRetries } from './use-cases/resume-retries';
import { LeaseQueries } from './use-cases/lease-queries';
import { LedgerLifecycle } from './use-cases/ledger-lifecycle';
import { QuarantinePairUseCase } from './use-cases/quarantine-pair.use-case';
import { ReleaseLeaseUseCase } from './use-cases/release-lease.use-case';
import { RenewLeaseUseCase } from './use-cases/renew-lease.use-case';
import { ResumeLeasesUseCase } from './use-cases/resume-leases.use-case';
import { UpdateLeaseSsrcUseCase } from './use-cases/update-lease-ssrc.use-case';
import { LedgerTelemetry } from './telemetry/ledger-telemetry';
import { WebhookOutbox } from './webhooks/webhook-outbox';
import { WebhookOutboxRepository } from './webhooks/webhook-outbox.repository';

/** Injectable by the rest of the service (the app, the reconciler, tests). */
const EXPORTED = [
  LedgerDatabase,
  LeaseRepository,
  LeaseEventRepository,
  QuarantineRepository,
  ReconcileReportRepository,
  PortPool,
  AllocateLeaseUseCase,
  ReleaseLeaseUseCase,
  RenewLeaseUseCase,
  ResumeLeasesUseCase,
  QuarantinePairUseCase,
  LeaseQueries,
  UpdateLeaseSsrcUseCase,
  WebhookOutbox,
  WebhookOutboxRepository,
  LedgerTelemetry,
  ExpirySweeper,
  HistoryRetention,
  LedgerLifecycle,
  ResumeRetries,
  ListenTrouble,
  NodeLock,
];

/** Internal to the ledger. */
const INTERNAL = [ExpiryTimers, LeaseActivityRecorder, EndFailedBindUseCase, LeaseReopener];

export interface LedgerModuleExtras {
  clock?: Clock;
  ids?: IdGenerator;
}

/** Needs the MediaGateway from GatewayModule.forRoot() (global) in the same application. */
@Module({})
export class LedgerModule {
  static forRoot(options: LedgerOptions, extras: LedgerModuleExtras = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: LEDGER_OPTIONS, useValue: options },
      extras.clock ? { provide: Clock, useValue: extras.clock } : { provide: Clock, useClass: SystemClock },
      extras.ids ? { provide: IdGenerator, useValue: extras.ids } : { provide: IdGenerator, useClass: UuidGenerator },
      ...EXPORTED,
      ...INTERNAL,
    ];
    return { module: LedgerModule, global: true, providers, exports: [LEDGER_OPTIONS, Clock, IdGenerator, ...EXPORTED] };
  }
}
