/**
 * True when the error is a unique-constraint violation on either driver, raw (better-sqlite3's
 * SqliteError, node-postgres' DatabaseError) or wrapped by TypeORM (QueryFailedError.driverError).
 */
export function isUniqueViolation(err: unknown, index?: string): boolean {
  const e = err as {
    code?: string;
    message?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string; message?: string };
  };
  const code = e?.driverError?.code ?? e?.code;
  const msg = `${e?.message ?? ''} ${e?.constraint ?? ''} ${e?.driverError?.message ?? ''} ${e?.driverError?.constraint ?? ''}`;
  const unique = code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(msg);
  if (!unique || !index) return unique;
  return msg.includes(index) || uniqueColumnsMatch(msg, index);
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // PostgreSQL: connection exceptions (08xxx), admin shutdown / crash shutdown / cannot connect now, too many connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // query_canceled: statement_timeout (DB_STATEMENT_TIMEOUT_MS) — the database did not answer in time
  '57014',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);
// The last three: the raw drivers after the ledger was closed (shutdown) or before it was opened.
const CONNECTION_TEXT =
  /Connection terminated|connection timeout|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|not Connected|not initialized|Connection is not established|server closed the connection|Client was closed and is not queryable|database connection is not open|Cannot use a pool after calling end/i;

/**
 * True when the error says the database could not be reached or could not take the write
 * (as opposed to a constraint or a bug): the API answers it as `503 ledger_unavailable`.
 */
export function isLedgerConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string; driverError?: { code?: string; message?: string } };
  if (!e || typeof e !== 'object') return false;
  const code = e.driverError?.code ?? e.code;
  if (code && CONNECTION_CODES.has(code)) return true;
  if (e.name === 'CannotExecuteNotConnectedError' || e.name === 'ConnectionIsNotSetError') return true;
  return CONNECTION_TEXT.test(`${e.message ?? ''} ${e.driverError?.message ?? ''}`);
}

// SQLite names the columns ("leases.node_id, leases.rtp_port"), not the index.
function uniqueColumnsMatch(msg: string, index: string): boolean {
  if (index === 'ux_leases_active_port') return /leases\.rtp_port/.test(msg);
  if (index === 'ux_leases_active_stream') return /leases\.stream_id/.test(msg);
  return false;
}
