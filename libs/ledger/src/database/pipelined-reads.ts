import type { Socket } from 'node:net';
import { Client, type ClientConfig, type QueryConfig, type QueryResult } from 'pg';

/** Connections the reads share (a slow read holds up only the reads sent after it on the same one). */
const CONNECTIONS = 2;

interface Lane {
  client: Client;
  /** queries sent and not yet answered */
  inFlight: number;
  /** of those, the ones queued in this turn of the event loop (still corked) */
  thisTurn: number;
}

/**
 * Reads outside a transaction on a few pipelined connections: the reads issued during one turn
 * of the event loop (the requests that arrived together) leave in ONE network write per
 * connection and are answered in order, instead of a write and a server wake-up each through a
 * pool. On loopback each write costs the sender ~0.1 ms of kernel time.
 *
 * A read goes to the connection with the fewest reads sent in earlier turns still unanswered
 * (so a slow read does not hold up the next ones), preferring the one already collecting this
 * turn's reads. A connection that fails is dropped (its reads get the error, as a pooled one
 * would: `ledger_unavailable`); the next read opens a new one.
 */
export class PipelinedReads {
  private readonly lanes: (Lane | null)[] = new Array<Lane | null>(CONNECTIONS).fill(null);
  private closed = false;

  constructor(private readonly options: ClientConfig) {}

  query(config: QueryConfig): Promise<QueryResult> {
    if (this.closed) return Promise.reject(new Error('Client was closed and is not queryable'));
    const lane = this.pick();
    if (lane.thisTurn === 0) {
      const socket = socketOf(lane.client);
      socket?.cork();
      setImmediate(() => {
        lane.thisTurn = 0;
        socket?.uncork();
      });
    }
    lane.inFlight++;
    lane.thisTurn++;
    const done = () => void lane.inFlight--;
    const answer = lane.client.query(config);
    answer.then(done, done);
    return answer;
  }

  async close(): Promise<void> {
    this.closed = true;
    const open = this.lanes.filter((l): l is Lane => l !== null);
    this.lanes.fill(null);
    await Promise.all(open.map((l) => l.client.end().catch(() => undefined)));
  }

  private pick(): Lane {
    let best = -1;
    let bestBacklog = Infinity;
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i];
      const backlog = lane ? lane.inFlight - lane.thisTurn : 0;
      if (backlog < bestBacklog || (backlog === bestBacklog && lane !== null && lane.thisTurn > 0)) {
        best = i;
        bestBacklog = backlog;
      }
    }
    return this.lanes[best] ?? this.open(best);
  }

  private open(i: number): Lane {
    const client = new Client({ ...this.options, pipeline: true });
    const lane: Lane = { client, inFlight: 0, thisTurn: 0 };
    const drop = () => {
      if (this.lanes[i] === lane) this.lanes[i] = null;
    };
    // A lost connection errors every read on it (pg does that); without a listener the error would crash the process.
    client.on('error', drop);
    client.on('end', drop);
    // Reads queued before the connection is up leave once it is; a failed connect fails them.
    client.connect().catch(drop);
    this.lanes[i] = lane;
    return lane;
  }
}

/** node-postgres keeps its socket at client.connection.stream (not in its typings). */
export function socketOf(client: Client): Socket | null {
  const stream = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
  return stream && typeof stream.cork === 'function' ? stream : null;
}
