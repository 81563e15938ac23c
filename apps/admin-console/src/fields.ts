import { bytes, kbps, plain, time } from './html';

/**
 * What the console knows about a lease, in ONE table: a row per field of the lease
 * (`lease`) or of its stats (`stats`), in the order the lease view shows them. `cell: true`
 * also shows it in the grid cell (the grid asks GET /ports/pairs for exactly those stats). A
 * field missing from the table still shows in the lease view under its own name (generic
 * formatting), so a new lease field or stat appears without a change here; one row gives it a
 * label, a format, and a place in the cell.
 */
export interface Field {
  key: string;
  label: string;
  from: 'lease' | 'stats';
  format?: (v: unknown) => string;
  cell?: boolean;
}

export const FIELDS: Field[] = [
  { key: 'streamId', label: 'stream', from: 'lease', cell: true },
  { key: 'state', label: 'state', from: 'lease' },
  { key: 'id', label: 'lease id', from: 'lease' },
  { key: 'nodeId', label: 'node', from: 'lease' },
  { key: 'rtpPort', label: 'RTP port', from: 'lease' },
  { key: 'rtcpPort', label: 'RTCP port', from: 'lease' },
  { key: 'transport', label: 'transport', from: 'lease', cell: true },
  { key: 'host', label: 'host', from: 'lease' },
  { key: 'ssrc', label: 'SSRC', from: 'lease' },
  { key: 'peerAddress', label: 'allowed peer', from: 'lease' },
  { key: 'client', label: 'client', from: 'lease' },
  { key: 'createdAt', label: 'created', from: 'lease', format: time },
  { key: 'expiresAt', label: 'expires', from: 'lease', format: time },
  { key: 'releasedAt', label: 'ended', from: 'lease', format: time },
  { key: 'releaseReason', label: 'end reason', from: 'lease' },
  { key: 'updatedAt', label: 'updated', from: 'lease', format: time },
  { key: 'ttlSeconds', label: 'TTL (s)', from: 'lease' },
  { key: 'connectTimeoutSeconds', label: 'connect timeout (s)', from: 'lease' },
  { key: 'idleTimeoutSeconds', label: 'idle timeout (s)', from: 'lease' },
  { key: 'record', label: 'record', from: 'lease', format: (v) => (v ? 'yes' : 'no') },
  { key: 'recordPath', label: 'record path', from: 'lease' },
  { key: 'peer', label: 'peer', from: 'stats', cell: true },
  { key: 'connected', label: 'connected', from: 'stats', format: (v) => (v ? 'yes' : 'no') },
  { key: 'bitrateKbps', label: 'bitrate', from: 'stats', format: kbps, cell: true },
  { key: 'packets', label: 'packets', from: 'stats' },
  { key: 'bytes', label: 'bytes', from: 'stats', format: bytes },
  { key: 'lost', label: 'lost', from: 'stats' },
  { key: 'jitterMs', label: 'jitter (ms)', from: 'stats' },
  { key: 'codec', label: 'codec', from: 'stats', format: (v) => plain(v) },
  { key: 'framing', label: 'framing', from: 'stats' },
  { key: 'ssrcSeen', label: 'SSRC seen', from: 'stats' },
  { key: 'connectedAt', label: 'connected at', from: 'stats', format: time },
  { key: 'lastPacketAt', label: 'last packet', from: 'stats', format: time },
  { key: 'forward', label: 'forward', from: 'stats', format: forward, cell: true },
  { key: 'recording', label: 'recording', from: 'stats', format: (v) => plain(v) },
];

function forward(v: unknown): string {
  if (!v || typeof v !== 'object') return plain(v);
  const f = v as Record<string, unknown>;
  const rest = { ...f };
  delete rest.to;
  delete rest.state;
  return `${plain(f.state)} → ${plain(f.to)} ${plain(rest)}`.trim();
}

/** How a field's value reads; a field not in FIELDS is shown as it comes. */
export function formatField(from: Field['from'], key: string, v: unknown): string {
  const f = FIELDS.find((x) => x.from === from && x.key === key);
  return (f?.format ?? plain)(v);
}

/** What a grid cell says about its field (forward shows only its state there). */
export function cellText(f: Field, v: unknown): string {
  if (f.key === 'forward' && v && typeof v === 'object') return `fwd ${plain((v as { state?: unknown }).state)}`;
  return (f.format ?? plain)(v);
}

/**
 * States by icon and word as well as colour (colour-blind users, screenshots). A state not
 * listed here still shows, with `?` and its own name.
 */
export const STATES: Record<string, { icon: string; hint: string }> = {
  free: { icon: '○', hint: 'free' },
  reserved: { icon: '◌', hint: 'being opened' },
  listening: { icon: '◔', hint: 'listening, no media yet' },
  streaming: { icon: '▶', hint: 'media flowing' },
  quarantined: { icon: '⚠', hint: 'held by something else' },
  released: { icon: '✓', hint: 'released by a client' },
  expired: { icon: '⌛', hint: 'expired' },
  reclaimed: { icon: '↺', hint: 'reclaimed by the reconciler' },
  failed: { icon: '✕', hint: 'failed' },
};

export function stateIcon(state: string): string {
  return STATES[state]?.icon ?? '?';
}

/** CSS class of a state (unknown ones get the neutral look). */
export function stateClass(state: string): string {
  return STATES[state] ? `st-${state}` : 'st-other';
}
