import { describe, expect, it } from 'vitest';
import { ConfigError, loadSettings } from './load-settings';

const TOKEN_A = '3f9c1e7a5b2d8046c1e9';
const TOKEN_B = 'k7Q2xW9mZ4pR8tL1vN6b';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('starts with every default on an empty environment', () => {
    const s = loadSettings({});
    expect(s.http).toEqual({ host: '127.0.0.1', port: 3000, authTokens: [] });
    expect(s.database).toEqual({ kind: 'sqlite', path: './data/portledger.sqlite' });
    expect(s.media.range).toEqual({ start: 30000, end: 30999 });
    expect(s.media.bindHost).toBe('0.0.0.0');
    expect(s.leaseDefaults).toEqual({ ttlS: 3600, connectTimeoutS: 30, idleTimeoutS: 20 });
    expect(s.reconcile).toEqual({ intervalS: 30, cron: null, minAgeS: 10 });
    expect(s.retention).toEqual({ historyDays: 90, reportDays: 7 });
    expect(s.media.recordDir).toBe('./data/records');
    expect(s.nodeId.length).toBeGreaterThan(0);
  });

  it.each([
    ['MEDIA_PORT_RANGE', 'abc', 'MEDIA_PORT_RANGE="abc"'],
    ['MEDIA_PORT_RANGE', '30001-30000', 'START must not be greater than END'],
    ['MEDIA_PORT_RANGE', '30001-30002', 'at least one even/odd pair'],
    ['MEDIA_PORT_RANGE', '30000-70000', '1..65535'],
    ['HTTP_PORT', 'notaport', 'HTTP_PORT="notaport"'],
    ['HTTP_PORT', '70000', 'HTTP_PORT must not be greater than 65535'],
    ['DATABASE_URL', 'mysql://root@localhost/db', 'DATABASE_URL must be sqlite:PATH or postgres://'],
    ['LEASE_TTL_S', '0', 'LEASE_TTL_S must not be less than 1'],
    ['IDLE_TIMEOUT_S', '1.5', 'IDLE_TIMEOUT_S must be an integer'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of'],
    ['LOG_FORMAT', 'xml', 'LOG_FORMAT must be one of'],
    ['RECONCILE_CRON', 'every minute', 'RECONCILE_CRON must be a cron expression'],
    ['WEBHOOK_URL', 'ftp://x', 'WEBHOOK_URL must be an http'],
  ])('refuses %s=%s and says why', (name, value, why) => {
    const problems = problemsOf({ [name]: value });
    expect(problems.join('\n')).toContain(why);
    expect(problems.some((p) => p.startsWith(`${name}=`))).toBe(true);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({ HTTP_PORT: 'x', MEDIA_PORT_RANGE: 'y', DATABASE_URL: 'mysql://z' });
    expect(problems.map((p) => p.split('=')[0]).sort()).toEqual(['DATABASE_URL', 'HTTP_PORT', 'MEDIA_PORT_RANGE']);
  });

  it('refuses a non-loopback HTTP_HOST without AUTH_TOKENS', () => {
    expect(problemsOf({ HTTP_HOST: '0.0.0.0' }).join()).toContain('needs AUTH_TOKENS');
    expect(problemsOf({ HTTP_HOST: '0.0.0.0', AUTH_TOKENS: `${TOKEN_A},${TOKEN_B}` })).toEqual([]);
    expect(problemsOf({ HTTP_HOST: '127.0.0.2' })).toEqual([]);
  });

  it('splits AUTH_TOKENS on commas and trims them', () => {
    expect(loadSettings({ AUTH_TOKENS: ` ${TOKEN_A}, ${TOKEN_B} ,,` }).http.authTokens).toEqual([TOKEN_A, TOKEN_B]);
  });

  it.each([
    ['shorter than 16 characters', 'a1b2c3d4e5f6g7h'],
    ['a well-known placeholder', 'change-me-token-please'],
    ['a well-known placeholder', 'CHANGEME_CHANGEME'],
    ['a well-known placeholder', 'replace-me-with-a-real-token'],
    ['a well-known placeholder', 'Super-Secret-Token'],
    ['a well-known placeholder', '0123456789abcdef'],
    ['a well-known placeholder', 'aaaaaaaaaaaaaaaaaaaa'],
  ])('refuses an AUTH_TOKENS token that is %s, naming it by position and never echoing it', (rule, token) => {
    const problems = problemsOf({ HTTP_HOST: '0.0.0.0', AUTH_TOKENS: `${TOKEN_A},${token}` });
    expect(problems).toEqual([expect.stringContaining(`AUTH_TOKENS: token 2 of 2 is ${rule}`)]);
    expect(problems.join()).not.toContain(token);
  });

  it('refuses a placeholder token on loopback too (a token set is a token used)', () => {
    expect(problemsOf({ AUTH_TOKENS: 'change-me-token' }).join()).toContain('AUTH_TOKENS: token 1 of 1');
  });

  it('reads postgres URLs and converts numbers explicitly', () => {
    const s = loadSettings({ DATABASE_URL: 'postgres://u@db:5432/ledger', HTTP_PORT: '8080', LEASE_TTL_S: '600' });
    expect(s.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/ledger', statementTimeoutMs: 5000 });
    expect(s.http.port).toBe(8080);
    expect(s.leaseDefaults.ttlS).toBe(600);
  });

  it('treats "false" as false, never as a truthy string', () => {
    expect(loadSettings({ LOG_REQUESTS: 'false' }).log.requests).toBe(false);
    expect(loadSettings({ LOG_REQUESTS: 'true' }).log.requests).toBe(true);
    expect(problemsOf({ LOG_REQUESTS: 'maybe' }).join()).toContain('LOG_REQUESTS');
  });

  it('takes PORTLEDGER_TEST_CRASH_ON_SIGUSR2 only as one of its kinds, and none by default', () => {
    expect(loadSettings({}).testCrashOnSigusr2).toBeNull();
    expect(loadSettings({ PORTLEDGER_TEST_CRASH_ON_SIGUSR2: 'unhandled-rejection' }).testCrashOnSigusr2).toBe('unhandled-rejection');
    expect(problemsOf({ PORTLEDGER_TEST_CRASH_ON_SIGUSR2: 'segfault' }).join()).toContain('PORTLEDGER_TEST_CRASH_ON_SIGUSR2');
  });

  it('needs WEBHOOK_SECRET with WEBHOOK_URL', () => {
    expect(problemsOf({ WEBHOOK_URL: 'http://127.0.0.1:9/hook' }).join()).toContain('WEBHOOK_SECRET');
  });

  it('serves 8 live pulls per lease by default; LIVE_PULLS_PER_LEASE sets 1..1000', () => {
    expect(loadSettings({}).media.livePullsPerLease).toBe(8);
    expect(loadSettings({ LIVE_PULLS_PER_LEASE: '2' }).media.livePullsPerLease).toBe(2);
    expect(problemsOf({ LIVE_PULLS_PER_LEASE: '0' }).join()).toContain('LIVE_PULLS_PER_LEASE must not be less than 1');
    expect(problemsOf({ LIVE_PULLS_PER_LEASE: 'many' }).join()).toContain('LIVE_PULLS_PER_LEASE=');
    expect(loadSettings({}).testDelayBeforePullMs).toBe(0);
  });

  it('forwards nowhere by default; FORWARD_TO names a tcp:// or udp:// target, FORWARD_BUFFER_BYTES at least 1 MiB', () => {
    expect(loadSettings({}).media).toMatchObject({ forwardTo: null, forwardBufferBytes: 4 * 1024 * 1024 });
    expect(loadSettings({ FORWARD_TO: 'tcp://127.0.0.1:10000' }).media.forwardTo).toBe('tcp://127.0.0.1:10000');
    expect(loadSettings({ FORWARD_TO: 'UDP://Media.Example:10000'.replace('UDP', 'udp') }).media.forwardTo).toBe(
      'udp://media.example:10000',
    );
    expect(problemsOf({ FORWARD_TO: 'rtmp://127.0.0.1:1935' })).toEqual([
      expect.stringMatching(/^FORWARD_TO="rtmp:\/\/127.0.0.1:1935": must be tcp:\/\//),
    ]);
    expect(problemsOf({ FORWARD_TO: 'tcp://127.0.0.1:70000' }).join()).toContain('FORWARD_TO=');
    expect(problemsOf({ FORWARD_BUFFER_BYTES: '1000' }).join()).toContain('FORWARD_BUFFER_BYTES must not be less than 1048576');
  });

  it('gathers a TCP forward write for 80 ms by default; FORWARD_BATCH_MS 0 .. 1000 (0: after every read)', () => {
    expect(loadSettings({}).media.forwardBatchMs).toBe(80);
    expect(loadSettings({ FORWARD_BATCH_MS: '0' }).media.forwardBatchMs).toBe(0);
    expect(loadSettings({ FORWARD_BATCH_MS: '250' }).media.forwardBatchMs).toBe(250);
    expect(problemsOf({ FORWARD_BATCH_MS: '1001' }).join()).toContain('FORWARD_BATCH_MS must not be greater than 1000');
    expect(problemsOf({ FORWARD_BATCH_MS: '-1' }).join()).toContain('FORWARD_BATCH_MS must not be less than 0');
    expect(problemsOf({ FORWARD_BATCH_MS: '40ms' }).join()).toContain('FORWARD_BATCH_MS');
  });

  it('bounds what every forward holds together: FORWARD_BUFFER_TOTAL_BYTES, 256 MiB by default, 1 MiB .. 64 GiB', () => {
    expect(loadSettings({}).media.forwardBufferTotalBytes).toBe(256 * 1024 * 1024);
    expect(loadSettings({ FORWARD_BUFFER_TOTAL_BYTES: String(3 * 1024 * 1024) }).media.forwardBufferTotalBytes).toBe(3 * 1024 * 1024);
    expect(problemsOf({ FORWARD_BUFFER_TOTAL_BYTES: '1000' }).join()).toContain('FORWARD_BUFFER_TOTAL_BYTES must not be less than 1048576');
    expect(problemsOf({ FORWARD_BUFFER_TOTAL_BYTES: '2097152.5' }).join()).toContain('FORWARD_BUFFER_TOTAL_BYTES');
    expect(problemsOf({ FORWARD_BUFFER_TOTAL_BYTES: String(65 * 1024 ** 3) }).join()).toContain(
      'FORWARD_BUFFER_TOTAL_BYTES must not be greater than',
    );
  });

  it('retries re-opens at boot for RESUME_RETRY_S, at least a minute', () => {
    expect(loadSettings({}).resumeRetryS).toBe(300);
    expect(loadSettings({ RESUME_RETRY_S: '90' }).resumeRetryS).toBe(90);
    expect(problemsOf({ RESUME_RETRY_S: '30' })).toEqual([expect.stringMatching(/^RESUME_RETRY_S="30": .*60/)]);
  });

  it('bounds recordings and PostgreSQL statements only as asked, and refuses nonsense', () => {
    const d = loadSettings({});
    expect([d.media.recordMaxBytes, d.media.recordRetentionDays]).toEqual([0, 0]);
    const s = loadSettings({
      RECORD_MAX_BYTES: '1073741824',
      RECORD_RETENTION_DAYS: '30',
      DATABASE_URL: 'postgres://u@db/l',
      DB_STATEMENT_TIMEOUT_MS: '2500',
    });
    expect([s.media.recordMaxBytes, s.media.recordRetentionDays]).toEqual([1073741824, 30]);
    expect(s.database).toEqual({ kind: 'postgres', url: 'postgres://u@db/l', statementTimeoutMs: 2500 });
    expect(problemsOf({ RECORD_MAX_BYTES: '-1' }).join()).toContain('RECORD_MAX_BYTES must not be less than 0');
    expect(problemsOf({ RECORD_RETENTION_DAYS: 'week' }).join()).toContain('RECORD_RETENTION_DAYS="week"');
    expect(problemsOf({ DB_STATEMENT_TIMEOUT_MS: '10' }).join()).toContain('DB_STATEMENT_TIMEOUT_MS must not be less than 100');
  });
});
