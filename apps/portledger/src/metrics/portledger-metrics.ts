import {
  LeaseQueries,
  LedgerTelemetry,
  MediaView,
  WebhookDeliveries,
  type LedgerTelemetrySink,
  type PairCounts,
  type ReconcileReportRecord,
} from '@app/leasing';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Stream totals of leases that have ended, so the RTP counters keep counting after a session closes. */
interface StreamTotals {
  packets: number;
  bytes: number;
  lost: number;
  dropped: number;
  forwardPackets: number;
  forwardBytes: number;
  forwardDropped: number;
  forwardReconnects: number;
}

type Stats = Record<string, unknown>;
const forwardOf = (s: Stats): Stats => (s.forward !== null && typeof s.forward === 'object' ? (s.forward as Stats) : {});

/** Where each total is read in a lease's stats (live, or final once it ended). */
const STREAM_KEYS: Array<[keyof StreamTotals, (s: Stats) => unknown]> = [
  ['packets', (s) => s.packets],
  ['bytes', (s) => s.bytes],
  ['lost', (s) => s.lost],
  ['dropped', (s) => s.droppedForeignSsrc],
  ['forwardPackets', (s) => forwardOf(s).packets],
  ['forwardBytes', (s) => forwardOf(s).bytes],
  ['forwardDropped', (s) => forwardOf(s).dropped],
  ['forwardReconnects', (s) => forwardOf(s).reconnects],
];

const FORWARD_STATES = ['idle', 'connecting', 'up', 'down'] as const;

/**
 * The service's Prometheus registry. Names start with `portledger_`, counters end in `_total`,
 * units are in the names, and no label carries a lease, stream, port or address (bounded
 * cardinality). Pool, session and stream figures are read at scrape time — never per packet;
 * ledger events arrive through LedgerTelemetry, webhook outcomes from the delivery worker.
 */
@Injectable()
export class PortledgerMetrics implements LedgerTelemetrySink, OnModuleInit {
  readonly registry = new Registry();
  private readonly closed: StreamTotals = {
    packets: 0,
    bytes: 0,
    lost: 0,
    dropped: 0,
    forwardPackets: 0,
    forwardBytes: 0,
    forwardDropped: 0,
    forwardReconnects: 0,
  };

  private readonly allocations = new Counter({
    name: 'portledger_allocations_total',
    help: 'Leases allocated (listeners open)',
    registers: [this.registry],
  });
  private readonly allocationErrors = new Counter({
    name: 'portledger_allocation_errors_total',
    help: 'Allocation requests that failed, by error code',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly releases = new Counter({
    name: 'portledger_releases_total',
    help: 'Leases that reached a terminal state, by state and reason',
    labelNames: ['state', 'reason'],
    registers: [this.registry],
  });
  private readonly findings = new Counter({
    name: 'portledger_reconcile_findings_total',
    help: 'Reconcile findings, by kind and what was done',
    labelNames: ['kind', 'action'],
    registers: [this.registry],
  });
  private readonly passDuration = new Histogram({
    name: 'portledger_reconcile_pass_duration_seconds',
    help: 'Duration of reconcile passes',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly webhookDeliveries = new Counter({
    name: 'portledger_webhook_deliveries_total',
    help: 'Webhook events delivered (2xx from the receiver), by event type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly webhookFailures = new Counter({
    name: 'portledger_webhook_delivery_failures_total',
    help: 'Webhook delivery attempts that failed (retried later), by event type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly webhookGivenUp = new Counter({
    name: 'portledger_webhook_events_failed_total',
    help: 'Webhook events given up (still undelivered 24 h after the event), by event type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'portledger_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  constructor(
    private readonly telemetry: LedgerTelemetry,
    private readonly queries: LeaseQueries,
    private readonly media: MediaView,
    private readonly deliveries: WebhookDeliveries,
  ) {
    const pairs = (name: string, help: string, pick: (c: PairCounts) => number) =>
      this.gaugeFrom(name, help, () => pick(this.queries.pairCounts()));
    pairs('portledger_port_pairs', 'Port pairs in MEDIA_PORT_RANGE', (c) => c.pairs);
    pairs('portledger_port_pairs_leased', 'Port pairs held by an active lease', (c) => c.leased);
    pairs('portledger_port_pairs_free', 'Port pairs free to allocate', (c) => c.free);
    pairs('portledger_port_pairs_quarantined', 'Port pairs quarantined (another process holds a port)', (c) => c.quarantined);
    this.gaugeFrom('portledger_sessions_active', 'Leases with a device connected right now', () => this.media.connectedLeases());
    this.gaugeFrom('portledger_listeners_open', 'Leases whose listener pair is open in this process', () => this.media.openLeases);
    this.streamCounter('portledger_rtp_packets_total', 'RTP packets accepted into streams', 'packets');
    this.streamCounter('portledger_rtp_bytes_total', 'Bytes of accepted RTP packets (header and payload)', 'bytes');
    this.streamCounter('portledger_rtp_packets_lost_total', 'RTP packets never received (sequence gaps)', 'lost');
    this.streamCounter(
      'portledger_rtp_foreign_ssrc_packets_dropped_total',
      'RTP packets dropped because their SSRC was not the expected one',
      'dropped',
    );
    this.streamCounter('portledger_forward_packets_total', 'RTP packets forwarded to media servers', 'forwardPackets');
    this.streamCounter('portledger_forward_bytes_total', 'Bytes of forwarded RTP packets (without the RFC 4571 prefix)', 'forwardBytes');
    this.streamCounter(
      'portledger_forward_packets_dropped_total',
      'RTP packets a lease forward buffer, or the forward total (FORWARD_BUFFER_TOTAL_BYTES), had no room for',
      'forwardDropped',
    );
    this.streamCounter(
      'portledger_forward_reconnects_total',
      'Forward connections opened again after a failure or drop',
      'forwardReconnects',
    );
    this.forwardStates();
    this.gaugeFrom(
      'portledger_forward_buffered_bytes',
      'Bytes held for forwarding by every lease: gathered for the next write, waiting for a connection, or not yet taken by the kernel (FORWARD_BUFFER_TOTAL_BYTES bounds them)',
      () => this.media.forwardBufferedBytes,
    );
    this.gaugeFrom('portledger_webhook_events_pending', 'Webhook events not delivered yet', () => this.deliveries.countPending());
  }

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry, prefix: 'portledger_' });
    this.telemetry.attach(this);
  }

  allocated(): void {
    this.allocations.inc();
  }

  allocationFailed(reason: string): void {
    this.allocationErrors.inc({ reason });
  }

  ended(state: string, reason: string, finalStats: Record<string, unknown> | null): void {
    this.releases.inc({ state, reason });
    if (finalStats) for (const [key, read] of STREAM_KEYS) this.closed[key] += numberOr0(read(finalStats));
  }

  reconciled(report: ReconcileReportRecord): void {
    this.passDuration.observe(report.durationMs / 1000);
    for (const f of report.findings) this.findings.inc({ kind: f.kind, action: f.action });
  }

  webhookDelivered(type: string): void {
    this.webhookDeliveries.inc({ type });
  }

  webhookAttemptFailed(type: string): void {
    this.webhookFailures.inc({ type });
  }

  webhookGaveUp(type: string): void {
    this.webhookGivenUp.inc({ type });
  }

  /** Forwarding leases open here, by the state of their forward connection (read at scrape time). */
  private forwardStates(): void {
    const media = this.media;
    new Gauge({
      name: 'portledger_forward_connections',
      help: 'Forwarding leases open here, by forward state (idle, connecting, up, down)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts = new Map<string, number>(FORWARD_STATES.map((st) => [st, 0]));
        for (const stats of media.liveStats()) {
          const st = forwardOf(stats).state;
          if (typeof st === 'string') counts.set(st, (counts.get(st) ?? 0) + 1);
        }
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
  }

  private gaugeFrom(name: string, help: string, read: () => number | Promise<number>): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /**
   * A counter over every stream's figure: the ended leases' final totals plus the live
   * sessions' current ones, read at scrape time. Only ever increased, so a lease that is between
   * its close and its terminal write never makes the counter look reset.
   */
  private streamCounter(name: string, help: string, key: keyof StreamTotals): void {
    const pick = STREAM_KEYS.find(([k]) => k === key)![1];
    let reported = 0;
    const read = () => {
      let total = this.closed[key];
      for (const stats of this.media.liveStats()) total += numberOr0(pick(stats));
      return total;
    };
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        const now = read();
        if (now > reported) {
          this.inc(now - reported);
          reported = now;
        }
      },
    });
  }
}

function numberOr0(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
