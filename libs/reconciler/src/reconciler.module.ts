import { DynamicModule, Module } from '@nestjs/common';
import { OsSocketReader } from './os/os-socket-reader';
import { OsViewReader } from './os/os-view';
import { SocketOwnerResolver } from './os/socket-owner.resolver';
import { ReconcileActions } from './reconcile/reconcile-actions';
import { ReconcileReports } from './reconcile/reconcile-reports.query';
import { Reconciler } from './reconcile/reconciler.service';
import { RECONCILER_OPTIONS, resolveReconcilerOptions, type ReconcilerOptions } from './reconciler.options';
import { ReconcileScheduler } from './schedule/reconcile-scheduler';

/**
 * Needs LeasingModule.forRoot() and GatewayModule.forRoot() (both global) in the same
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
        OsViewReader,
        ReconcileActions,
        Reconciler,
        ReconcileScheduler,
        ReconcileReports,
      ],
      exports: [Reconciler, ReconcileScheduler, ReconcileReports, OsSocketReader],
    };
  }
}
