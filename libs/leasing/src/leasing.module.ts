import { LedgerModule } from '@app/ledger';
import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { LeaseActivityRecorder } from './activity/lease-activity.recorder';
import { Clock, SystemClock } from './domain/clock';
import { IdGenerator, UuidGenerator } from './domain/ids';
import { ExpiryScheduler } from './expiry/expiry-scheduler';
import { ExpirySweeper } from './expiry/expiry-sweeper';
import { ExpiryTimers } from './expiry/expiry-timers';
import { LEASING_OPTIONS, type LeasingOptions } from './leasing.options';
import { HistoryRetention } from './lifecycle/history-retention';
import { LedgerLifecycle } from './lifecycle/ledger-lifecycle';
import { PortPool } from './ports/port-pool.service';
import { NodeLock } from './node-lock/node-lock.service';
import { MediaView } from './queries/media-view';
import { LeaseQueries } from './queries/lease-queries';
import { PairGridQuery } from './queries/pair-grid.query';
import { FleetNodesQuery } from './queries/fleet-nodes.query';
import { ReconcileReportStore } from './reconcile/reconcile-report.store';
import { LedgerTelemetry } from './telemetry/ledger-telemetry';
import { LeaseTransitionWriter } from './transitions/lease-transition.writer';
import { LeaseReopener } from './use-cases/lease-reopener';
import { ListenTrouble } from './use-cases/listen-trouble';
import { ResumeRetries } from './use-cases/resume-retries';
import { AllocateLeaseUseCase } from './use-cases/allocate-lease.use-case';
import { CloseOrphanListenerUseCase } from './use-cases/close-orphan-listener.use-case';
import { DisconnectDeviceUseCase } from './use-cases/disconnect-device.use-case';
import { EndFailedBindUseCase } from './use-cases/end-failed-bind.use-case';
import { PendingEnds } from './use-cases/pending-ends';
import { PullLiveStreamUseCase } from './use-cases/pull-live-stream.use-case';
import { QuarantinePairUseCase } from './use-cases/quarantine-pair.use-case';
import { ReleaseLeaseUseCase } from './use-cases/release-lease.use-case';
import { RenewLeaseUseCase } from './use-cases/renew-lease.use-case';
import { ReopenLeaseUseCase } from './use-cases/reopen-lease.use-case';
import { ResumeLeasesUseCase } from './use-cases/resume-leases.use-case';
import { UpdateLeaseSsrcUseCase } from './use-cases/update-lease-ssrc.use-case';
import { ConnectLeaseUseCase } from './use-cases/connect-lease.use-case';
import { WebhookDeliveries } from './webhooks/webhook-deliveries';
import { WebhookOutbox } from './webhooks/webhook-outbox';

/** What the entry points (the app, the reconciler, boot) call: use cases, queries, lifecycle, telemetry. */
const EXPORTED = [
  MediaView,
  AllocateLeaseUseCase,
  ReleaseLeaseUseCase,
  RenewLeaseUseCase,
  ResumeLeasesUseCase,
  QuarantinePairUseCase,
  UpdateLeaseSsrcUseCase,
  ConnectLeaseUseCase,
  ReopenLeaseUseCase,
  CloseOrphanListenerUseCase,
  DisconnectDeviceUseCase,
  PullLiveStreamUseCase,
  LeaseQueries,
  PairGridQuery,
  FleetNodesQuery,
  ReconcileReportStore,
  WebhookDeliveries,
  LedgerTelemetry,
  ExpirySweeper,
  HistoryRetention,
  LedgerLifecycle,
  ResumeRetries,
  ListenTrouble,
  NodeLock,
];

/** Internal to leasing (with the ledger's repositories and database, which LedgerModule gives only to this module). */
const INTERNAL = [
  PortPool,
  LeaseTransitionWriter,
  WebhookOutbox,
  ExpiryTimers,
  ExpiryScheduler,
  PendingEnds,
  LeaseActivityRecorder,
  EndFailedBindUseCase,
  LeaseReopener,
];

export interface LeasingModuleExtras {
  clock?: Clock;
  ids?: IdGenerator;
}

/** Needs the MediaGateway from GatewayModule.forRoot() (global) in the same application. */
@Module({})
export class LeasingModule {
  static forRoot(options: LeasingOptions, extras: LeasingModuleExtras = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: LEASING_OPTIONS, useValue: options },
      extras.clock ? { provide: Clock, useValue: extras.clock } : { provide: Clock, useClass: SystemClock },
      extras.ids ? { provide: IdGenerator, useValue: extras.ids } : { provide: IdGenerator, useClass: UuidGenerator },
      ...EXPORTED,
      ...INTERNAL,
    ];
    return {
      module: LeasingModule,
      global: true,
      imports: [LedgerModule.forRoot(options.database)],
      providers,
      exports: [LEASING_OPTIONS, Clock, IdGenerator, ...EXPORTED],
    };
  }
}
