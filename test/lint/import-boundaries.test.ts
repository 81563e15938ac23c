import { Linter } from 'eslint';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The layer graph of docs/ARCHITECTURE.md#layers as ESLint enforces it (test/lint/import-boundaries.mjs),
// checked on one-line files placed in each project. No type information is needed for these rules.
const root = resolve(__dirname, '../..');
let config: Linter.Config[];

beforeAll(async () => {
  const module = (await import(pathToFileURL(resolve(root, 'test/lint/import-boundaries.mjs')).href)) as {
    importBoundaries: Linter.Config[];
  };
  config = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...module.importBoundaries];
});

const problems = (file: string, code: string): string[] =>
  new Linter({ cwd: root }).verify(code, config, { filename: resolve(root, file) }).map((m) => `${m.ruleId}: ${m.message}`);

describe('import boundaries', () => {
  it.each([
    ['apps/portledger/src/x.ts', "import { AllocateLeaseUseCase } from '@app/leasing';"],
    ['apps/portledger/src/x.ts', "import { ReconcilerModule } from '@app/reconciler';"],
    ['apps/portledger/src/x.ts', "import type { MediaGateway } from '@app/gateway';"],
    ['libs/leasing/src/x.ts', "import { LeaseRepository } from '@app/ledger'; import { MediaGateway } from '@app/gateway';"],
    [
      'libs/reconciler/src/x.ts',
      "import { ReopenLeaseUseCase } from '@app/leasing'; import type { GatewayListenerView } from '@app/gateway';",
    ],
    ['libs/ledger/src/x.ts', "import { sqliteMigrations } from '@migrations/sqlite'; import { y } from '../y';"],
    ['libs/gateway/src/x.ts', "import { Deframer } from '@app/rtp'; import { Injectable } from '@nestjs/common';"],
    ['libs/rtp/src/x.spec.ts', "import { readOk } from '../../../test/fixtures/rtp/fixtures';"],
    ['libs/gateway/src/x.ts', "import { BatchUdpSocket } from '@app/udp-batch';"],
    ['apps/device-sim/src/x.ts', "import { BatchUdpSocket } from '@app/udp-batch'; import type { MediaTransport } from '@app/gateway';"],
    ['libs/reconciler/src/x.spec.ts', "import { listeningPairView } from '@app/gateway';"],
    ['libs/leasing/src/index.ts', "export { decodeCursor, type LedgerDatabaseConfig, type Page } from '@app/ledger';"],
    ['libs/leasing/src/index.ts', "export type { PairCounts, PairStatus } from './ports/pair-selector';"],
  ])('%s may: %s', (file, code) => {
    expect(problems(file, code)).toEqual([]);
  });

  it.each([
    ['apps/portledger/src/x.ts', "import { LeaseRepository } from '@app/ledger';", 'apps/* → ledger is not in the layer graph'],
    ['apps/portledger/src/x.ts', "import { MediaGateway } from '@app/gateway';", 'apps/* → gateway is for types only'],
    ['libs/ledger/src/x.ts', "import type { LeaseBinding } from '@app/gateway';", 'libs/ledger → gateway is not in the layer graph'],
    ['libs/ledger/src/x.ts', "import { ReleaseLeaseUseCase } from '@app/leasing';", 'libs/ledger → leasing is not in the layer graph'],
    ['libs/gateway/src/x.ts', "import { LeaseRepository } from '@app/ledger';", 'libs/gateway → ledger is not in the layer graph'],
    ['libs/gateway/src/x.ts', "import { AllocateLeaseUseCase } from '@app/leasing';", 'libs/gateway → leasing is not in the layer graph'],
    ['libs/reconciler/src/x.ts', "import { LeaseRepository } from '@app/ledger';", 'libs/reconciler → ledger is not in the layer graph'],
    ['libs/reconciler/src/x.ts', "import { MediaGateway } from '@app/gateway';", 'libs/reconciler → gateway is for types only'],
    ['libs/leasing/src/index.ts', "export { LeaseRepository } from '@app/ledger';", 'are not exported past libs/leasing'],
    ['libs/leasing/src/index.ts', "export { LedgerDatabase } from '@app/ledger';", 'are not exported past libs/leasing'],
    ['libs/leasing/src/index.ts', "export { type LedgerModule } from '@app/ledger';", 'are not exported past libs/leasing'],
    ['libs/leasing/src/index.ts', "export * from '@app/ledger';", 'are not exported past libs/leasing'],
    ['libs/leasing/src/index.ts', "export * from './ports/pair-selector';", 'are not exported past libs/leasing'],
    ['libs/leasing/src/x.ts', "import { Reconciler } from '@app/reconciler';", 'libs/leasing → reconciler is not in the layer graph'],
    ['libs/rtp/src/x.ts', "import { MediaGateway } from '@app/gateway';", 'libs/rtp → gateway is not in the layer graph'],
    ['libs/rtp/src/x.ts', "import { Injectable } from '@nestjs/common';", 'rtp is pure protocol code: no Nest'],
    ['libs/gateway/src/x.ts', "import { sqliteMigrations } from '@migrations/sqlite';", 'Only libs/ledger wires migrations'],
    ['libs/leasing/src/x.ts', "import { LeaseRepository } from '@app/ledger/repositories/lease.repository';", 'not a file inside it'],
    ['libs/leasing/src/x.ts', "import { LeaseRepository } from '../../ledger/src/repositories/lease.repository';", "import '@app/ledger'"],
    ['libs/leasing/src/a/x.ts', "export * from '../../../gateway/src';", "import '@app/gateway'"],
    ['libs/leasing/src/x.ts', "type L = import('../../ledger/src').Lease;", "import '@app/ledger'"],
    ['libs/ledger/src/x.ts', "import { Settings } from '../../../apps/portledger/src/config/settings';", 'libraries never import apps'],
    ['libs/rtp/src/x.ts', "import { readOk } from '../../../test/fixtures/rtp/fixtures';", 'leaves libs/rtp/'],
    ['apps/admin-console/src/x.ts', "import type { Lease } from '@app/leasing';", 'apps/admin-console → leasing is not in the layer graph'],
    ['apps/admin-console/src/x.ts', "import { Injectable } from '@nestjs/common';", 'the admin console is browser code'],
    ['apps/portledger/src/x.ts', "import { BatchUdpSocket } from '@app/udp-batch';", 'apps/* → udp-batch is not in the layer graph'],
    ['apps/device-sim/src/x.ts', "import { MediaGateway } from '@app/gateway';", 'apps/device-sim → gateway is for types only'],
    ['libs/leasing/src/x.ts', "import { BatchUdpSocket } from '@app/udp-batch';", 'libs/leasing → udp-batch is not in the layer graph'],
    ['libs/udp-batch/src/x.ts', "import { isRtcp } from '@app/rtp';", 'libs/udp-batch → rtp is not in the layer graph'],
    [
      'libs/udp-batch/src/x.ts',
      "import { Injectable } from '@nestjs/common';",
      'udp-batch is a native UDP socket, no protocol and no framework: no Nest',
    ],
  ])('%s may not: %s', (file, code, expected) => {
    const found = problems(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });
});
