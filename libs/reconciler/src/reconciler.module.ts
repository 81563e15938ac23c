import { DynamicModule, Module } from '@nestjs/common';
import { OsSocketReader } from './os/os-socket-reader';
import { SocketOwnerResolver } from './os/socket-owner.resolver';
import { ReconcileReports } from './reconcile/reconcile-reports.query';
import { Reconciler } from './reconcile/reconciler.service';
import { RECONCILER_OPTIONS, resolveReconcilerOptions, type ReconcilerOptions } from './reconciler.options';
import { ReconcileScheduler } from './schedule/reconcile-scheduler';

/**
 * Needs LedgerModule.forRoot() and GatewayModule.forRoot() (both global) in the same
 * application. `ScheduleModule.forRoot()` belongs to the app module; when present, the
 * scheduler registers its job there.
 */
@Module({})
export class ReconcilerModule {
  static forRoot(options: ReconcilerOptions): DynamicModule {
    return {
      module: ReconcilerModule,
      providers: [
        { provide: RECONCILER_OPTIONS, useValue: resolveReconcilerOptions(options) },
        OsSocketReader,
        SocketOwnerResolver,
        Reconciler,
        ReconcileScheduler,
        ReconcileReports,
      ],
      exports: [Reconciler, ReconcileScheduler, ReconcileReports, OsSocketReader],
    };
  }
}
