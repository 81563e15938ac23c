import { DynamicModule, Module } from '@nestjs/common';
import { LedgerDatabase } from './database/ledger-database';
import { LEDGER_DATABASE_CONFIG, type LedgerDatabaseConfig } from './ledger.options';
import { LeaseChangeRepository } from './repositories/lease-change.repository';
import { LeaseEventRepository } from './repositories/lease-event.repository';
import { LeaseRepository } from './repositories/lease.repository';
import { NodeLockRepository } from './repositories/node-lock.repository';
import { QuarantineRepository } from './repositories/quarantine.repository';
import { ReconcileReportRepository } from './repositories/reconcile-report.repository';
import { WebhookOutboxRepository } from './webhooks/webhook-outbox.repository';

const PERSISTENCE = [
  LedgerDatabase,
  LeaseRepository,
  LeaseEventRepository,
  LeaseChangeRepository,
  QuarantineRepository,
  NodeLockRepository,
  ReconcileReportRepository,
  WebhookOutboxRepository,
];

/**
 * Persistence only: the database, one repository per table, and LeaseChangeRepository, which
 * writes a lease change with its event and webhook row. Not global: LeasingModule
 * imports it, so nothing past libs/leasing can inject a repository or the database.
 */
@Module({})
export class LedgerModule {
  static forRoot(database: LedgerDatabaseConfig): DynamicModule {
    return {
      module: LedgerModule,
      providers: [{ provide: LEDGER_DATABASE_CONFIG, useValue: database }, ...PERSISTENCE],
      exports: PERSISTENCE,
    };
  }
}
