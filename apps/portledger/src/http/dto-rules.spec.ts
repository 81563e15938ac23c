import { getMetadataStorage, validate, type ValidatorOptions } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { AllocateLeaseDto } from '../leases/dto/allocate-lease.dto';
import { ConnectLeaseDto } from '../leases/dto/connect-lease.dto';
import { LeaseEventsQueryDto } from '../leases/dto/lease-events-query.dto';
import { LeaseHistoryQueryDto } from '../leases/dto/lease-history-query.dto';
import { ReleaseByStreamQueryDto } from '../leases/dto/release-by-stream-query.dto';
import { RenewLeaseDto } from '../leases/dto/renew-lease.dto';
import { PairsQueryDto } from '../ports/dto/pairs-query.dto';
import { PortsQueryDto } from '../ports/dto/ports-query.dto';
import { ReconcileReportsQueryDto } from '../reconcile/dto/reconcile-reports-query.dto';
import { ReconcileSummaryQueryDto } from '../reconcile/dto/reconcile-summary-query.dto';
import { WebhookDeliveriesQueryDto } from '../webhooks/dto/webhook-deliveries-query.dto';
import { compileRulesCheck } from './dto-rules';

/** The options the global pipe hands class-validator (http/validation.ts). */
const OPTIONS: ValidatorOptions = {
  forbidUnknownValues: false,
  whitelist: true,
  forbidNonWhitelisted: true,
  validationError: { target: false },
};

const DTOS: Array<new () => object> = [
  AllocateLeaseDto,
  ConnectLeaseDto,
  LeaseEventsQueryDto,
  LeaseHistoryQueryDto,
  ReleaseByStreamQueryDto,
  RenewLeaseDto,
  PairsQueryDto,
  PortsQueryDto,
  ReconcileReportsQueryDto,
  ReconcileSummaryQueryDto,
  WebhookDeliveriesQueryDto,
];

/** Values a flat body or query can carry, valid and invalid for the fields of these DTOs. */
const VALUES: unknown[] = [
  ...['', 'cam-1', 'bad id!', '0200000001', '4294967296', '192.0.2.1', '::1', 'not-an-ip', 'tcp://127.0.0.1:10000', 'udp://[::1]:5'],
  ...['tcp-passive', 'udp', 'tcp-active', 'active', 'released', 'x'.repeat(129), 'e2e', '5', '-1', 'true', '2024-01-01T00:00:00Z'],
  ...[0, 1, 60, 15060, 65535, 65536, 1.5, -1, 86400, 86401, 2678400, 2678401, 4294967295, true, false, null],
  // lists, for rules with `each` (only a transformed query gets there; the check takes them too)
  ...[[], ['peer', 'bitrateKbps'], ['bad name'], ['x'.repeat(70)], new Set(['peer']), new Map([['a', 'peer']])],
];

/** A small seeded generator: each run checks the same objects. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function propertiesOf(dto: new () => object): string[] {
  return Object.keys(getMetadataStorage().groupByPropertyName(getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false)));
}

function instanceOf(dto: new () => object, fields: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(new dto(), fields);
}

describe('the compiled DTO rules', () => {
  it('compile for every DTO of the API (flat property rules and conditions only)', () => {
    for (const dto of DTOS) expect(compileRulesCheck(dto, OPTIONS), dto.name).not.toBeNull();
  });

  it('agree with class-validator on 20,000 random flat instances, both ways', async () => {
    const random = prng(17);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const disagreements: string[] = [];
    const verdicts = { pass: 0, fail: 0 };
    for (const dto of DTOS) {
      const check = compileRulesCheck(dto, OPTIONS)!;
      const names = [...propertiesOf(dto), 'extra'];
      for (let i = 0; i < 20_000 / DTOS.length; i++) {
        const fields: Record<string, unknown> = {};
        for (let n = Math.floor(random() * 4); n > 0; n--) fields[pick(names)] = pick(VALUES);
        const passes = (await validate(instanceOf(dto, fields), OPTIONS)).length === 0;
        verdicts[passes ? 'pass' : 'fail']++;
        if (check(instanceOf(dto, fields)) !== passes)
          disagreements.push(`${dto.name} ${JSON.stringify(fields)}: class-validator ${passes}`);
      }
    }
    expect(disagreements.slice(0, 10)).toEqual([]);
    // both verdicts were reached often enough to mean something
    expect(verdicts.pass).toBeGreaterThan(2000);
    expect(verdicts.fail).toBeGreaterThan(2000);
  });

  it('leaves options it does not mirror, and DTOs without rules, to class-validator', () => {
    expect(compileRulesCheck(AllocateLeaseDto, { ...OPTIONS, forbidNonWhitelisted: false })).toBeNull();
    expect(compileRulesCheck(AllocateLeaseDto, { ...OPTIONS, groups: ['a'] })).toBeNull();
    expect(compileRulesCheck(AllocateLeaseDto, { ...OPTIONS, skipMissingProperties: true })).toBeNull();
    expect(compileRulesCheck(class NoRules {}, OPTIONS)).toBeNull();
  });
});
