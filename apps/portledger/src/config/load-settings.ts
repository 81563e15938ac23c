import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { existsSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { FORWARD_TARGET_RULE, parseForwardTarget } from '@app/leasing';
import { authTokenProblems } from './auth-tokens';
import { EnvironmentVariables } from './environment';
import { parsePortRange } from './port-range';
import type { Settings } from './settings';

/** Thrown at start when configuration is unusable; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (if present) into process.env without overriding variables already set. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Validates the environment and returns typed settings, or throws ConfigError naming each bad variable. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  // Empty values count as unset, as in most .env tooling.
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') raw[k] = v;
  const vars = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const problems: string[] = [];
  for (const err of validateSync(vars, { skipMissingProperties: false })) {
    const value = raw[err.property];
    const why = Object.values(err.constraints ?? {}).join('; ');
    problems.push(`${err.property}=${JSON.stringify(value ?? null)}: ${why}`);
  }
  const range = parsePortRange(vars.MEDIA_PORT_RANGE);
  if (typeof range === 'string' && !problems.some((p) => p.startsWith('MEDIA_PORT_RANGE='))) {
    problems.push(`MEDIA_PORT_RANGE=${JSON.stringify(vars.MEDIA_PORT_RANGE)}: ${range}`);
  }
  const tokens = (vars.AUTH_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tokens.length === 0 && !isLoopback(vars.HTTP_HOST)) {
    problems.push(
      `HTTP_HOST=${JSON.stringify(vars.HTTP_HOST)}: a non-loopback HTTP_HOST needs AUTH_TOKENS (comma-separated bearer tokens)`,
    );
  }
  problems.push(...authTokenProblems(tokens));
  if (vars.WEBHOOK_URL && !vars.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_SECRET=null: required when WEBHOOK_URL is set (bodies are HMAC-SHA256 signed)');
  }
  const forwardTo = vars.FORWARD_TO === undefined ? null : parseForwardTarget(vars.FORWARD_TO);
  if (vars.FORWARD_TO !== undefined && forwardTo === null)
    problems.push(`FORWARD_TO=${JSON.stringify(vars.FORWARD_TO)}: must be ${FORWARD_TARGET_RULE}`);
  if (problems.length > 0 || typeof range === 'string') throw new ConfigError(problems);

  const url = vars.DATABASE_URL;
  return {
    http: { host: vars.HTTP_HOST, port: vars.HTTP_PORT, authTokens: tokens },
    database: url.startsWith('sqlite:')
      ? { kind: 'sqlite', path: url.slice('sqlite:'.length) }
      : { kind: 'postgres', url, statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS },
    nodeId: vars.NODE_ID ?? hostname(),
    media: {
      bindHost: vars.MEDIA_BIND_HOST,
      advertisedHost: vars.MEDIA_ADVERTISED_HOST ?? firstNonLoopbackIPv4() ?? '127.0.0.1',
      range,
      recordDir: vars.RECORD_DIR,
      livePullsPerLease: vars.LIVE_PULLS_PER_LEASE,
      recordMaxBytes: vars.RECORD_MAX_BYTES,
      recordRetentionDays: vars.RECORD_RETENTION_DAYS,
      forwardTo: forwardTo?.url ?? null,
      forwardBufferBytes: vars.FORWARD_BUFFER_BYTES,
      forwardBufferTotalBytes: vars.FORWARD_BUFFER_TOTAL_BYTES,
      forwardBatchMs: vars.FORWARD_BATCH_MS,
    },
    leaseDefaults: { ttlS: vars.LEASE_TTL_S, connectTimeoutS: vars.CONNECT_TIMEOUT_S, idleTimeoutS: vars.IDLE_TIMEOUT_S },
    reconcile: { intervalS: vars.RECONCILE_INTERVAL_S, cron: vars.RECONCILE_CRON?.trim() ?? null, minAgeS: vars.RECONCILE_MIN_AGE_S },
    webhook: { url: vars.WEBHOOK_URL ?? null, secret: vars.WEBHOOK_SECRET ?? null },
    zlmApiSecret: vars.ZLM_API_SECRET ?? null,
    retention: { historyDays: vars.HISTORY_RETENTION_DAYS, reportDays: vars.REPORT_RETENTION_DAYS },
    log: {
      level: vars.LOG_LEVEL,
      format: vars.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
      requests: vars.LOG_REQUESTS ?? false,
    },
    testDelayAfterInsertMs: vars.PORTLEDGER_TEST_DELAY_AFTER_INSERT_MS ?? 0,
    testCrashOnSigusr2: vars.PORTLEDGER_TEST_CRASH_ON_SIGUSR2 ?? null,
    testDelayBeforePullMs: vars.PORTLEDGER_TEST_DELAY_BEFORE_PULL_MS ?? 0,
    resumeRetryS: vars.RESUME_RETRY_S,
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function firstNonLoopbackIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
