import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { DEFAULT_FORWARD_BATCH_MS, MAX_FORWARD_BATCH_MS } from '@app/leasing';

/** Strict boolean: only true/false/1/0/yes/no; anything else stays a string and fails validation. */
export const toStrictBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return value;
};

export const TEST_CRASH_KINDS = ['uncaught-exception', 'unhandled-rejection', 'server-error'] as const;
export type TestCrashKind = (typeof TEST_CRASH_KINDS)[number];

const PORT_RANGE = /^\s*\d{1,5}\s*-\s*\d{1,5}\s*$/;

/**
 * Every variable of the contract's configuration table. Numbers are converted explicitly
 * (`@Type(() => Number)`), never by implicit conversion, so "abc" stays NaN and fails.
 */
export class EnvironmentVariables {
  @IsString()
  HTTP_HOST = '127.0.0.1';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  HTTP_PORT = 3000;

  @IsOptional()
  @IsString()
  AUTH_TOKENS?: string;

  @IsString()
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:PATH or postgres://USER@HOST:PORT/DB',
  })
  DATABASE_URL = 'sqlite:./data/portledger.sqlite';

  /** PostgreSQL: a statement (and a connect) that does not answer within this fails, 503 ledger_unavailable. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_STATEMENT_TIMEOUT_MS = 5000;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'NODE_ID must be 1-64 chars of A-Za-z0-9_.:-' })
  NODE_ID?: string;

  @IsString()
  @MinLength(1)
  MEDIA_BIND_HOST = '0.0.0.0';

  @IsOptional()
  @IsString()
  MEDIA_ADVERTISED_HOST?: string;

  @IsString()
  @Matches(PORT_RANGE, { message: 'MEDIA_PORT_RANGE must look like START-END, e.g. 30000-30999' })
  MEDIA_PORT_RANGE = '30000-30999';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(31 * 24 * 3600)
  LEASE_TTL_S = 3600;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  CONNECT_TIMEOUT_S = 30;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  IDLE_TIMEOUT_S = 20;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  RECONCILE_INTERVAL_S = 30;

  /** A racy reconcile finding (it could be a lease being created or released) is acted on only once this old. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3600)
  RECONCILE_MIN_AGE_S = 10;

  @IsOptional()
  @IsString()
  @Matches(/^\s*\S+(\s+\S+){4,5}\s*$/, { message: 'RECONCILE_CRON must be a cron expression of 5 or 6 fields' })
  RECONCILE_CRON?: string;

  @IsOptional()
  @IsString()
  @Matches(/^https?:\/\/.+/, { message: 'WEBHOOK_URL must be an http:// or https:// URL' })
  WEBHOOK_URL?: string;

  @IsOptional()
  @IsString()
  WEBHOOK_SECRET?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  ZLM_API_SECRET?: string;

  @IsString()
  RECORD_DIR = './data/records';

  /** Every lease forwards its stream here unless its request says otherwise (checked in load-settings). */
  @IsOptional()
  @IsString()
  FORWARD_TO?: string;

  /** Each forwarding lease's buffer (connecting, down, or a slow target); beyond it packets are dropped and counted. */
  @Type(() => Number)
  @IsInt()
  @Min(1024 * 1024)
  @Max(1024 * 1024 * 1024)
  FORWARD_BUFFER_BYTES = 4 * 1024 * 1024;

  /**
   * What every lease's forward may hold together; past it, a backlogged lease's packets are dropped
   * and counted like a full lease buffer (see ForwardBudget: a lease whose target keeps up is not refused).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1024 * 1024)
  @Max(64 * 1024 * 1024 * 1024)
  FORWARD_BUFFER_TOTAL_BYTES = 256 * 1024 * 1024;

  /**
   * How long a TCP forward gathers a lease's packets into one write: latency against the CPU of
   * the writes (see forward-ticker.ts); 0 writes after every socket read.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_FORWARD_BATCH_MS)
  FORWARD_BATCH_MS = DEFAULT_FORWARD_BATCH_MS;

  /** Live pulls (`stream.ps`) one lease serves at once; one more is 429 too_many_pulls. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  LIVE_PULLS_PER_LEASE = 8;

  /** A recording stops (event `recording-stopped`, why `max-bytes`) when its file reaches this; 0 = no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RECORD_MAX_BYTES = 0;

  /** `.ps` files under RECORD_DIR not written for this many days are deleted, hourly; 0 = kept forever. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RECORD_RETENTION_DAYS = 0;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  HISTORY_RETENTION_DAYS = 90;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  REPORT_RETENTION_DAYS = 7;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsOptional()
  @IsIn(['json', 'pretty'])
  LOG_FORMAT?: 'json' | 'pretty';

  /** Test-only: delay between the ledger insert and listen(), to let e2e tests kill -9 there. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @ValidateIf((o: EnvironmentVariables) => o.PORTLEDGER_TEST_DELAY_AFTER_INSERT_MS !== undefined)
  PORTLEDGER_TEST_DELAY_AFTER_INSERT_MS?: number;

  /** Test-only: delay between a live pull's lease read and its subscription, to let e2e tests hang up there. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @ValidateIf((o: EnvironmentVariables) => o.PORTLEDGER_TEST_DELAY_BEFORE_PULL_MS !== undefined)
  PORTLEDGER_TEST_DELAY_BEFORE_PULL_MS?: number;

  @Transform(toStrictBoolean)
  @IsOptional()
  @IsIn([true, false], { message: 'LOG_REQUESTS must be true or false' })
  LOG_REQUESTS?: boolean;

  /** Test-only: on SIGUSR2, fail this way, so e2e tests can see the crash policy at work. */
  @IsOptional()
  @IsIn(TEST_CRASH_KINDS)
  PORTLEDGER_TEST_CRASH_ON_SIGUSR2?: TestCrashKind;
  /** How long a lease whose re-open at boot fails for a reason not about its pair is retried. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  RESUME_RETRY_S = 300;
}
