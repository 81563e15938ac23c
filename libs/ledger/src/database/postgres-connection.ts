import { Pool, type PoolClient, type PoolConfig, type QueryConfig } from 'pg';
import { RolledBackAtCommitError, started, type ExecResult, type LedgerConnection, type Tx } from './ledger-connection';
import { isLedgerConnectionError } from './ledger-errors';
import { PipelinedReads, socketOf } from './pipelined-reads';

/** Distinct statement texts given a server-side name; the rest (dynamic filters, IN lists) run unnamed. */
const MAX_NAMED = 400;

interface PostgresTx extends Tx {
  readonly client: PoolClient;
}

interface Prepared {
  text: string;
  name: string | undefined;
}

/**
 * node-postgres below TypeORM, on connections of its own in pipeline mode: statements sent
 * together leave in one network write and the server answers them in order, instead of one
 * round trip each (on loopback each write costs the sender ~0.1 ms of kernel time, more than
 * the statement). The write transactions of the group commit run one at a time on one
 * connection (`writes`): a batch's BEGIN and its units' statements leave together. Reads
 * outside a transaction share two more (PipelinedReads).
 *
 * Every statement is a named prepared statement per connection (parsed and planned once, then
 * only bound and executed), which also spares the shared server's CPU.
 */
export class PostgresConnection implements LedgerConnection {
  readonly pipelined = true;
  private readonly writes: Pool;
  private readonly reads: PipelinedReads;
  private readonly prepared = new Map<string, Prepared>();

  constructor(options: PoolConfig, onIdleError: (err: Error) => void) {
    this.reads = new PipelinedReads(options);
    this.writes = new Pool({ ...options, max: 1, pipeline: true });
    // An idle write connection that dies is replaced at the next batch; without a listener the error would crash the process.
    this.writes.on('error', onIdleError);
  }

  async exec<R>(tx: Tx | null, sql: string, params: readonly unknown[]): Promise<ExecResult<R>> {
    const query = this.query(sql, params);
    // The call leaves synchronously (before the await): a batch's units queue theirs in one corked write.
    const r = await (tx ? (tx as PostgresTx).client.query(query) : this.reads.query(query));
    return { rows: r.rows as R[], affected: r.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.writes.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      return await this.inTransaction(client, work);
    } catch (err) {
      if (isLedgerConnectionError(err)) broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      // A connection that failed is destroyed, not pooled: the next batch connects anew.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.writes.end(), this.reads.close()]);
  }

  private async inTransaction<T>(client: PoolClient, work: (tx: Tx) => Promise<T>): Promise<T> {
    const tx: PostgresTx = { dialect: 'postgres', client };
    const socket = socketOf(client);
    // BEGIN and every statement the units issue before their first await go out as one write.
    socket?.cork();
    let begun: Promise<unknown>;
    let working: Promise<T>;
    try {
      begun = client.query('BEGIN');
      // A failed BEGIN fails the statements queued behind it; its own rejection is read below.
      begun.catch(() => undefined);
      working = started(work, tx);
    } finally {
      socket?.uncork();
    }
    try {
      const value = await working;
      await begun;
      const done = await client.query('COMMIT');
      if (done.command !== 'COMMIT') throw new RolledBackAtCommitError();
      return value;
    } catch (err) {
      if (!(err instanceof RolledBackAtCommitError)) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** `?` placeholders become `$n`, once per statement text, with the statement's name. */
  private query(sql: string, params: readonly unknown[]): QueryConfig {
    let p = this.prepared.get(sql);
    if (p === undefined) {
      p = { text: numbered(sql), name: `pl_${this.prepared.size + 1}` };
      if (this.prepared.size < MAX_NAMED) this.prepared.set(sql, p);
      else p.name = undefined;
    }
    return { name: p.name, text: p.text, values: params as unknown[] };
  }
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
