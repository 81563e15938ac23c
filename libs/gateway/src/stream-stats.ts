import type { ForwardStats } from './forward/forward-stats';
import type { AudioCodec, Framing, RtpIngest, VideoCodec } from '@app/rtp';
import type { MediaTransport } from './lease-binding';

/**
 * The contract's `stats` of a lease (GET /api/v1/leases/:id, and `finalStats` after it ends).
 * Counters carry on across reconnects; `bitrateKbps` and `jitterMs` describe the current (or
 * last) connection.
 */
// A type alias (not an interface) so it is assignable to the ledger's Record<string, unknown>.
export type LeaseStreamStats = {
  transport: MediaTransport;
  /** the device's address:port, current or last (udp: the latched source); null until one connected */
  peer: string | null;
  /** ISO time the current (or last) device connection was accepted */
  connectedAt: string | null;
  /** a device is connected on the RTP port right now (udp: a source is latched) */
  connected: boolean;
  /** RTP packets accepted into the stream (SSRC filter passed) */
  packets: number;
  /** bytes of those RTP packets (header + payload) */
  bytes: number;
  bitrateKbps: number;
  /** packets never seen (RFC 3550 expected - received, duplicates not counted as received) */
  lost: number;
  reordered: number;
  duplicates: number;
  jitterMs: number;
  /** the stream's SSRC in the 10-digit form (canonicalSsrc), null before the first packet */
  ssrcSeen: string | null;
  droppedForeignSsrc: number;
  framing: Framing | null;
  payloadType: number | null;
  codec: { video: VideoCodec | null; audio: AudioCodec | null };
  /** bytes of MPEG-PS handed to the live pull and the recorder */
  psBytes: number;
  keyframes: number;
  /** RTCP packets counted (RTCP port, and RTCP inside the RTP connection) */
  rtcpPackets: number;
  /** RTP device connections accepted; reconnects = connections - 1 */
  connections: number;
  reconnects: number;
  /** connections that ended without delivering an accepted RTP packet; only the first 16 are events */
  noMediaConnections: number;
  /** connections that ended with no peer-connected/peer-disconnected event (past those 16, or past 256 in all) */
  unreportedConnections: number;
  /** every connection refused (its slot was taken, or not from peerAddress); only the first 16 are events */
  rejectedConnections: number;
  /** connections closed because of garbage or an impossible frame (either port); only the first 16 are events */
  streamErrors: number;
  lastPacketAt: string | null;
  liveClients: number;
  /** udp: datagrams dropped because they came from another source than the latched peer (or not from peerAddress) */
  droppedForeignPeer?: number;
  /** udp: datagrams that were not RTP version 2 before the peer was latched (dropped) */
  droppedInvalid?: number;
  /** udp: datagrams the kernel dropped on the lease's two sockets (the `drops` column of /proc/net/udp*); null when unreadable */
  kernelDrops?: number | null;
  /** udp: the RTP socket's receive buffer as the kernel granted it (asked: 4 MB, capped by net.core.rmem_max; Linux reports it doubled) */
  recvBufferBytes?: number;
  /** tcp-active: the dialling towards the device */
  dial?: DialStats;
  /** `stopped`: why the recording ended before the lease (max-bytes, disk-error: CODE, disk-stalled) */
  recording: { path: string; bytes: number; error: string | null; stopped: string | null } | null;
  /** the forward to a media server (contract: stats.forward), null when the lease does not forward */
  forward: ForwardStats | null;
  /** forward-up/forward-down changes past the 16 of each reported as events */
  unreportedForwardChanges: number;
};

/** tcp-active: where the service dials, and how that went. */
export type DialStats = {
  /** "address:port" of the device, null until the connect call (or peerAddress + peerPort) */
  to: string | null;
  /** idle: no target yet; connecting: an attempt is in flight; connected: ESTABLISHED; waiting: the next attempt is scheduled */
  state: 'idle' | 'connecting' | 'connected' | 'waiting';
  /** connection attempts so far (successful or not) */
  attempts: number;
  /** attempts that failed (refused, unreachable, timed out) */
  failures: number;
  lastError: string | null;
};

/** Totals of the connections that have already closed, so the stats carry across reconnects. */
export class CarriedTotals {
  packets = 0;
  bytes = 0;
  lost = 0;
  reordered = 0;
  duplicates = 0;
  dropped = 0;
  rtcpPackets = 0;
  psBytes = 0;
  keyframes = 0;
  ssrc: number | null = null;
  framing: Framing | null = null;
  payloadType: number | null = null;
  video: VideoCodec | null = null;
  audio: AudioCodec | null = null;
  jitterMs = 0;

  /** Folds a closed connection's ingest into the totals. */
  add(ingest: RtpIngest): void {
    const t = readIngest(ingest);
    this.packets += t.packets;
    this.bytes += t.bytes;
    this.lost += t.lost;
    this.reordered += t.reordered;
    this.duplicates += t.duplicates;
    this.dropped += ingest.rejectedPackets;
    this.rtcpPackets += ingest.rtcp.packets;
    this.psBytes += ingest.probe?.bytes ?? 0;
    this.keyframes += ingest.probe?.keyframes ?? 0;
    this.ssrc = ingest.primarySsrc ?? this.ssrc;
    this.framing = ingest.framing ?? this.framing;
    if (t.payloadType !== null) this.payloadType = t.payloadType;
    this.video = ingest.probe?.videoCodec ?? this.video;
    this.audio = ingest.probe?.audioCodec ?? this.audio;
    if (t.packets > 0) this.jitterMs = t.jitterMs;
  }
}

interface IngestTotals {
  packets: number;
  bytes: number;
  lost: number;
  reordered: number;
  duplicates: number;
  payloadType: number | null;
  jitterMs: number;
  bitrateBps: number;
}

/** Sums the accepted SSRCs of one connection; jitter and bitrate come from the primary SSRC. */
export function readIngest(ingest: RtpIngest): IngestTotals {
  const out: IngestTotals = { packets: 0, bytes: 0, lost: 0, reordered: 0, duplicates: 0, payloadType: null, jitterMs: 0, bitrateBps: 0 };
  const snap = ingest.snapshot();
  for (const s of snap.streams) {
    out.packets += s.packets;
    out.bytes += s.bytes;
    out.lost += s.missing;
    out.reordered += s.reordered;
    out.duplicates += s.duplicates;
    if (s.ssrc === snap.primarySsrc) {
      out.payloadType = s.payloadType >= 0 ? s.payloadType : null;
      out.jitterMs = round(s.jitterMs);
      out.bitrateBps = s.bitrateBps;
    }
  }
  return out;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
