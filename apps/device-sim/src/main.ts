#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadCapture, resolveCapture } from './capture';
import { DeviceStream, type StreamTarget } from './device-stream';
import { LeaseClient, mapLimit } from './lease-client';
import { DEVICE_TRANSPORTS, type DeviceLink, type DeviceTransport } from './links/device-link';
import { TcpActiveLink } from './links/tcp-active.link';
import { TcpPassiveLink } from './links/tcp-passive.link';
import { UdpLink } from './links/udp.link';

const USAGE = `portledger device simulator: a GB28181 device pushing RTP/PS over any of the three transports

  npm run sim -- [options]

Where to push (one of):
  --api URL            ask the service for a lease per stream (POST /api/v1/leases), push to it
  --lease ID[,ID...]   with --api: push to these existing leases (one stream each)
  --host H --port P    push straight to a port (one stream); tcp-active: listen there and wait to be dialled

Transport:
  --transport T        tcp-passive (default: the device connects), udp (datagrams from one port),
                       or tcp-active (the device listens; with --api it asks the service to dial it)
  --listen-host H      tcp-active with --api: where to listen (default 127.0.0.1, ephemeral ports)

What and how:
  --file NAME|PATH     capture to push: zlm (default), g711, or a file of RFC 4571/2326 frames
  --streams N          streams at once (default 1)
  --realtime           pace from the RTP timestamps (default)
  --flat               send as fast as the socket takes it
  --bitrate-mbps R     real time scaled so each stream averages R Mb/s (instead of --speed)
  --speed X            real-time factor (default 1)
  --loops N            passes over the capture, sequence numbers and timestamps continued (default 1; 0 = forever)
  --duration S         stop after S seconds
  --framing F          rfc4571 (default) or rfc2326 (interleaved, channel 0)
  --ssrc N             rewrite the SSRC
  --stagger            start each stream at a different point of the capture
  --token T            bearer token for --api
  --lease-ssrc         ask for leases with the capture's SSRC
  --record             ask for recorded leases
  --idle-timeout S / --connect-timeout S   lease timeouts to ask for
  --keep               do not release the leases the simulator made
  --json               print a JSON summary on stdout at the end
  --quiet              no progress line
  -h, --help`;

interface Summary {
  streams: number;
  connectedPeak: number;
  bytes: number;
  /** RTP packets sent (over UDP: datagrams) */
  packets: number;
  seconds: number;
  mbps: number;
  errors: number;
  errorKinds: Record<string, number>;
  leases: string[];
}

async function main(): Promise<number> {
  const { values: o } = parseArgs({
    options: {
      api: { type: 'string' },
      lease: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      file: { type: 'string', default: 'zlm' },
      streams: { type: 'string', default: '1' },
      realtime: { type: 'boolean', default: false },
      flat: { type: 'boolean', default: false },
      'bitrate-mbps': { type: 'string' },
      speed: { type: 'string', default: '1' },
      loops: { type: 'string', default: '1' },
      duration: { type: 'string' },
      framing: { type: 'string', default: 'rfc4571' },
      transport: { type: 'string', default: 'tcp-passive' },
      'listen-host': { type: 'string', default: '127.0.0.1' },
      ssrc: { type: 'string' },
      stagger: { type: 'boolean', default: false },
      token: { type: 'string' },
      'lease-ssrc': { type: 'boolean', default: false },
      record: { type: 'boolean', default: false },
      'idle-timeout': { type: 'string' },
      'connect-timeout': { type: 'string' },
      'stream-prefix': { type: 'string', default: `sim-${process.pid}` },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (o.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const num = (name: string, v: string | undefined, min = 0): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got "${v}"`);
    return n;
  };
  if (o.framing !== 'rfc4571' && o.framing !== 'rfc2326') throw new UsageError(`--framing must be rfc4571 or rfc2326`);
  if (o.flat && o.realtime) throw new UsageError('--flat and --realtime exclude each other');
  const transport = o.transport as DeviceTransport;
  if (!DEVICE_TRANSPORTS.includes(transport)) throw new UsageError(`--transport must be one of ${DEVICE_TRANSPORTS.join(', ')}`);
  if (!o.api && !(o.host && o.port)) throw new UsageError('give --api URL, or --host and --port');
  if (o.lease && !o.api) throw new UsageError('--lease needs --api');

  const capture = loadCapture(resolveCapture(o.file));
  const streams = Math.floor(num('streams', o.streams, 1)!);
  const loops = Math.floor(num('loops', o.loops, 0)!);
  const bitrate = num('bitrate-mbps', o['bitrate-mbps'], 0.001);
  const speed = bitrate !== undefined ? (bitrate * 1e6) / capture.naturalBps : num('speed', o.speed, 0.001)!;
  const duration = num('duration', o.duration, 0);
  const ssrc = o.ssrc === undefined ? null : num('ssrc', o.ssrc, 0)!;
  const client = o.api ? new LeaseClient(o.api.replace(/\/$/, ''), o.token) : null;

  const created: string[] = [];
  let targets: StreamTarget[];
  if (client && o.lease) {
    const ids = o.lease.split(',').filter(Boolean);
    targets = await mapLimit(ids, 16, async (id) => {
      const l = await client.get(id);
      return { host: l.host, port: l.rtpPort, leaseId: l.id };
    });
  } else if (client) {
    const body = (i: number) => ({
      streamId: `${o['stream-prefix']}-${i}`,
      client: 'device-sim',
      ...(transport !== 'tcp-passive' ? { transport } : {}),
      ...(o['lease-ssrc'] ? { ssrc: String(ssrc ?? capture.ssrc) } : {}),
      ...(o.record ? { record: true } : {}),
      ...(o['idle-timeout'] ? { idleTimeoutSeconds: num('idle-timeout', o['idle-timeout'], 1) } : {}),
      ...(o['connect-timeout'] ? { connectTimeoutSeconds: num('connect-timeout', o['connect-timeout'], 1) } : {}),
    });
    targets = await mapLimit(
      Array.from({ length: streams }, (_, i) => i),
      8,
      async (i) => {
        const l = await client.create(body(i));
        created.push(l.id);
        return { host: l.host, port: l.rtpPort, leaseId: l.id };
      },
    );
  } else {
    targets = Array.from({ length: streams }, () => ({ host: o.host!, port: Number(o.port) }));
  }

  const linkFor = (t: StreamTarget): DeviceLink => {
    if (transport === 'udp') return new UdpLink(t.host, t.port);
    if (transport === 'tcp-passive') return new TcpPassiveLink(t.host, t.port);
    // Dialled through the service: listen on an ephemeral port; straight: listen on --port.
    return client ? new TcpActiveLink(o['listen-host'], 0) : new TcpActiveLink(t.host, t.port);
  };
  const sims = targets.map(
    (t, i) =>
      new DeviceStream(
        t,
        {
          capture,
          pace: o.flat ? 'flat' : 'realtime',
          speed,
          loops,
          ssrc,
          framing: o.framing as 'rfc4571' | 'rfc2326',
          startFrame: o.stagger ? Math.floor((i * capture.frames) / targets.length) : 0,
        },
        linkFor(t),
      ),
  );

  const t0 = performance.now();
  let connectedPeak = 0;
  let lastBytes = 0;
  let lastAt = t0;
  const totalBytes = () => sims.reduce((n, s) => n + s.bytesSent, 0);
  const progress = setInterval(() => {
    const now = performance.now();
    const bytes = totalBytes();
    const connected = sims.filter((s) => s.connected).length;
    connectedPeak = Math.max(connectedPeak, connected);
    const mbps = ((bytes - lastBytes) * 8) / ((now - lastAt) / 1000) / 1e6;
    lastBytes = bytes;
    lastAt = now;
    if (!o.quiet) {
      const errors = sims.filter((s) => s.error !== null).length;
      const line = `[device-sim] streams ${connected}/${sims.length} | ${mbps.toFixed(1)} Mb/s | ${(bytes / 1e6).toFixed(1)} MB | errors ${errors}`;
      process.stderr.write(process.stderr.isTTY ? `\r${line}   ` : `${line}\n`);
    }
  }, 1000);

  const ticker = o.flat
    ? null
    : setInterval(() => {
        const now = performance.now();
        for (const s of sims) s.tick(now);
      }, 10);

  let stopTimer: NodeJS.Timeout | null = null;
  const stopAll = () => sims.forEach((s) => s.finish());
  if (duration !== undefined) stopTimer = setTimeout(stopAll, duration * 1000);
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);

  await mapLimit(sims, 64, (s) => s.start());
  // TCP-ACTIVE: the device listens; the signalling server tells the media host where to dial.
  if (client && transport === 'tcp-active') {
    await mapLimit(sims, 16, async (s) => {
      const at = (s.link as TcpActiveLink).address!;
      await client.connect(s.target.leaseId!, at.host, at.port);
    });
  }
  connectedPeak = Math.max(connectedPeak, sims.filter((s) => s.connected).length);
  await Promise.all(sims.map((s) => s.done));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(progress);
  if (ticker) clearInterval(ticker);
  if (stopTimer) clearTimeout(stopTimer);
  if (!o.quiet && process.stderr.isTTY) process.stderr.write('\n');

  if (client && !o.keep) await mapLimit(created, 8, (id) => client.release(id).catch(() => undefined));

  const errorKinds: Record<string, number> = {};
  for (const s of sims) if (s.error) errorKinds[s.error] = (errorKinds[s.error] ?? 0) + 1;
  const bytes = totalBytes();
  const summary: Summary = {
    streams: sims.length,
    connectedPeak,
    bytes,
    packets: sims.reduce((n, s) => n + s.packetsSent, 0),
    seconds: Math.round(seconds * 1000) / 1000,
    mbps: Math.round(((bytes * 8) / seconds / 1e6) * 100) / 100,
    errors: sims.filter((s) => s.error !== null).length,
    errorKinds,
    leases: targets.map((t) => t.leaseId ?? '').filter(Boolean),
  };
  if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else if (!o.quiet)
    process.stderr.write(
      `[device-sim] done: ${summary.streams} streams, ${(bytes / 1e6).toFixed(1)} MB in ${summary.seconds} s (${summary.mbps} Mb/s), ${summary.errors} errors\n`,
    );
  return summary.errors > 0 ? 1 : 0;
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `device-sim: ${err instanceof Error ? err.message : err}\n${err instanceof UsageError ? '\n' + USAGE + '\n' : ''}`,
    );
    process.exit(2);
  },
);
