import { isIP } from 'node:net';

/** Where a lease's stream is forwarded: `tcp://HOST:PORT` (RFC 4571) or `udp://HOST:PORT`. */
export interface ForwardTarget {
  protocol: 'tcp' | 'udp';
  host: string;
  port: number;
  /** the normalised URL, as stored and shown (`tcp://192.0.2.1:10000`, `udp://[::1]:10000`) */
  url: string;
}

export const FORWARD_TARGET_RULE = 'tcp://HOST:PORT or udp://HOST:PORT (port 1..65535)';

const TARGET = /^(tcp|udp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Parses a forward URL; null when it is not one (the caller names the field or variable). */
export function parseForwardTarget(text: string): ForwardTarget | null {
  const m = TARGET.exec(text.trim());
  if (!m) return null;
  const [, protocol, rawHost, rawPort] = m;
  const port = Number(rawPort);
  if (port < 1 || port > 65535) return null;
  const bracketed = rawHost.startsWith('[');
  const host = bracketed ? rawHost.slice(1, -1) : rawHost;
  if (bracketed ? isIP(host) !== 6 : isIP(host) === 0 && !HOST_NAME.test(host)) return null;
  const shown = isIP(host) === 6 ? `[${host}]` : host.toLowerCase();
  return {
    protocol: protocol as 'tcp' | 'udp',
    host: isIP(host) === 6 ? host : host.toLowerCase(),
    port,
    url: `${protocol}://${shown}:${port}`,
  };
}

/** The stream name ZLMediaKit gives an RTP stream arriving on its single port: `rtp/` + SSRC as 8 upper-case hex digits. */
export function mediaStreamName(ssrc: number): string {
  return `rtp/${ssrc.toString(16).toUpperCase().padStart(8, '0')}`;
}
