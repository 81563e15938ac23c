import {
  AllocateLeaseUseCase,
  ConnectLeaseUseCase,
  DomainError,
  InvalidLeaseInputError,
  LEASING_OPTIONS,
  LeaseNotFoundError,
  LeaseQueries,
  ReleaseLeaseUseCase,
  STREAM_ID_RULE,
  StreamConflictError,
  UpdateLeaseSsrcUseCase,
  leaseStreamId,
  type LeasingOptions,
  type Transport,
  WrongTransportError,
} from '@app/leasing';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { boolArg, intArg, requireArgs, ZLM_CODE, ZlmError, type ZlmArgs } from './zlm-args';
import { INCORRECT_SECRET, ZlmSecret } from './zlm-secret';

export type ZlmReply = { code: number; msg?: string } & Record<string, unknown>;
export type ZlmApiName = 'openRtpServer' | 'closeRtpServer' | 'listRtpServer' | 'getRtpInfo' | 'updateRtpServerSSRC' | 'connectRtpServer';

const MAX_SSRC = 0xffffffff;
/** ZLMediaKit's defaults for the stream's vhost and app (DEFAULT_VHOST, kRtpAppName). */
const DEFAULT_VHOST = '__defaultVhost__';
const RTP_APP = 'rtp';
const TCP_PASSIVE = 1;
/** ZLMediaKit's RtpServer::TcpMode (src/Rtp/RtpServer.h): NONE (UDP only) = 0, PASSIVE = 1, ACTIVE = 2. */
const TRANSPORT_BY_TCP_MODE: readonly Transport[] = ['udp', 'tcp-passive', 'tcp-active'];
const TCP_MODE_BY_TRANSPORT: Record<Transport, number> = { udp: 0, 'tcp-passive': 1, 'tcp-active': 2 };

/**
 * The ZLMediaKit-compatible RTP-server API, on the same ledger and use cases as the REST API.
 * Parameter names, defaults, answer shapes and codes follow ZLMediaKit's server/WebApi.cpp
 * (https://github.com/ZLMediaKit/ZLMediaKit/blob/master/server/WebApi.cpp: getAllArgs,
 * CHECK_SECRET, CHECK_ARGS, and the /index/api/{open,close,list}RtpServer, getRtpInfo and
 * updateRtpServerSSRC handlers), as WVP-GB28181-pro calls them (ZLMServerFactory,
 * ZLMRESTfulUtils: form POSTs with `secret` first). Every answer is HTTP 200 with a `code`.
 *
 * tcp_mode picks the lease's transport: 0 UDP, 1 TCP-PASSIVE, 2 TCP-ACTIVE (then connectRtpServer
 * dials the device). Differences, all deliberate: a UDP lease binds only UDP sockets (ZLMediaKit's
 * tcp_mode=0 opens UDP only too; 1 and 2 also bind UDP there, here they do not); connectRtpServer
 * answers once the dial has started, and the service keeps retrying (at least 1 s apart) until
 * the connect timeout ends the lease, where ZLMediaKit tries once and answers -1 on failure;
 * dst_url must be an IP address; a given `port` must
 * be the even port of a pair in MEDIA_PORT_RANGE; `vhost`, `app`, `re_use_port`, `only_track`
 * and `local_ip` are accepted and ignored (a stream is its `stream_id`); and
 * `updateRtpServerSSRC` also applies to the running session. `getRtpInfo` answers
 * `exist: true` only while the lease is `streaming` (its device connection has delivered
 * accepted RTP), as ZLMediaKit does: it has no RTP process for a stream before media arrives,
 * so a signalling server that sees `exist: false` knows no media flows and re-sends the INVITE.
 */
@Injectable()
export class ZlmApiService {
  private readonly logger = new Logger(ZlmApiService.name);

  constructor(
    private readonly secret: ZlmSecret,
    @Inject(LEASING_OPTIONS) private readonly ledger: LeasingOptions,
    private readonly allocation: AllocateLeaseUseCase,
    private readonly releasing: ReleaseLeaseUseCase,
    private readonly ssrcUpdate: UpdateLeaseSsrcUseCase,
    private readonly connecting: ConnectLeaseUseCase,
    private readonly queries: LeaseQueries,
  ) {}

  /** Checks the secret, runs the API, and turns every failure into ZLMediaKit's `{ code, msg }`. */
  async call(api: ZlmApiName, args: ZlmArgs): Promise<ZlmReply> {
    try {
      this.checkSecret(args);
      return { code: ZLM_CODE.success, ...(await this[api](args)) };
    } catch (err) {
      return this.failure(api, args, err);
    }
  }

  /** Before anything else: a missing or wrong secret is -100, whatever else the call holds. */
  private checkSecret(args: ZlmArgs): void {
    if (!this.secret.accepts(args.secret)) throw new ZlmError(ZLM_CODE.authFailed, INCORRECT_SECRET);
  }

  private async openRtpServer(args: ZlmArgs): Promise<Record<string, unknown>> {
    requireArgs(args, 'port', 'stream_id');
    const streamId = leaseStreamId(args.stream_id);
    let tcpMode = intArg(args, 'tcp_mode', 0);
    // Older callers send enable_tcp=1 instead of tcp_mode (ZLMediaKit maps it to 1 too).
    if (tcpMode === 0 && boolArg(args, 'enable_tcp')) tcpMode = TCP_PASSIVE;
    const transport = TRANSPORT_BY_TCP_MODE[tcpMode];
    if (transport === undefined) throw new ZlmError(ZLM_CODE.invalidArgs, `tcp_mode must be 0 (UDP), 1 (TCP-PASSIVE) or 2 (TCP-ACTIVE)`);
    const port = intArg(args, 'port', 0, 65535);
    const { start, end } = this.ledger.range;
    if (port !== 0 && (port < start || port > end || (port - start) % 2 !== 0)) {
      throw new ZlmError(
        ZLM_CODE.invalidArgs,
        `port ${port} is not the RTP (even) port of a pair in MEDIA_PORT_RANGE ${start}-${end}; use port=0 to get one`,
      );
    }
    const ssrc = intArg(args, 'ssrc', 0, MAX_SSRC);
    const { lease, created } = await this.allocation.allocate({
      streamId,
      // ssrc=0 means "no filter" to ZLMediaKit (and WVP leaves it out then).
      ssrc: ssrc === 0 ? undefined : ssrc,
      rtpPort: port === 0 ? undefined : port,
      transport,
      client: 'zlm-api',
    });
    if (!created) throw new ZlmError(ZLM_CODE.invalidArgs, 'This stream already exists');
    return { port: lease.rtpPort };
  }

  private async closeRtpServer(args: ZlmArgs): Promise<Record<string, unknown>> {
    requireArgs(args, 'stream_id');
    const released = await this.releasing.releaseActiveStream(args.stream_id);
    return { hit: released ? 1 : 0 };
  }

  private async listRtpServer(): Promise<Record<string, unknown>> {
    const active = await this.queries.active();
    return {
      data: active.map((l) => ({
        vhost: DEFAULT_VHOST,
        app: RTP_APP,
        stream_id: l.streamId,
        port: l.rtpPort,
        ssrc: l.ssrc === null ? 0 : Number(l.ssrc),
        tcp_mode: TCP_MODE_BY_TRANSPORT[l.transport],
        only_track: 0,
      })),
    };
  }

  private async getRtpInfo(args: ZlmArgs): Promise<Record<string, unknown>> {
    requireArgs(args, 'stream_id');
    const live = await this.queries.streaming(args.stream_id);
    if (!live) return { exist: false };
    const { lease, stats } = live;
    const peer = stats.peer as string;
    const colon = peer.lastIndexOf(':');
    return {
      exist: true,
      peer_ip: peer.slice(0, colon),
      peer_port: Number(peer.slice(colon + 1)),
      local_ip: lease.host,
      local_port: lease.rtpPort,
      tcp_mode: TCP_MODE_BY_TRANSPORT[lease.transport],
    };
  }

  /**
   * TCP-ACTIVE: dial the device at dst_url:dst_port (WVP-GB28181-pro calls it with the c= address
   * and m= port of the device's SDP answer). ZLMediaKit's answers: -1 "can not find the stream"
   * when no server is open for stream_id, -1 when it is not TCP-ACTIVE.
   */
  private async connectRtpServer(args: ZlmArgs): Promise<Record<string, unknown>> {
    requireArgs(args, 'stream_id', 'dst_url', 'dst_port');
    const port = intArg(args, 'dst_port', 0, 65535);
    try {
      await this.connecting.connectStream(args.stream_id, args.dst_url, port);
    } catch (err) {
      if (err instanceof LeaseNotFoundError) throw new ZlmError(ZLM_CODE.otherFailed, 'can not find the stream');
      if (err instanceof InvalidLeaseInputError)
        throw new ZlmError(
          ZLM_CODE.invalidArgs,
          err.message.replace(/^(address|port)/, (f) => `dst_${f === 'address' ? 'url' : f}`),
        );
      throw err;
    }
    return {};
  }

  private async updateRtpServerSSRC(args: ZlmArgs): Promise<Record<string, unknown>> {
    requireArgs(args, 'stream_id', 'ssrc');
    const ssrc = intArg(args, 'ssrc', 0, MAX_SSRC);
    try {
      await this.ssrcUpdate.updateForStream(args.stream_id, ssrc === 0 ? null : ssrc);
    } catch (err) {
      if (err instanceof LeaseNotFoundError) throw new ZlmError(ZLM_CODE.notFound, 'RtpServer not found by stream_id');
      throw err;
    }
    return {};
  }

  private failure(api: ZlmApiName, args: ZlmArgs, err: unknown): ZlmReply {
    if (err instanceof ZlmError) return { code: err.code, msg: err.message };
    if (err instanceof InvalidLeaseInputError && err.field === 'streamId')
      return { code: ZLM_CODE.invalidArgs, msg: `stream_id must be ${STREAM_ID_RULE}` };
    if (err instanceof StreamConflictError) return { code: ZLM_CODE.invalidArgs, msg: 'This stream already exists' };
    // ZLMediaKit's connectToServer on a server that is not TCP-ACTIVE: OtherFailed.
    if (err instanceof WrongTransportError) return { code: ZLM_CODE.otherFailed, msg: 'only a tcp_mode=2 (TCP-ACTIVE) server can connect' };
    // No free pair, a listen() failure, an unreachable ledger: ZLMediaKit's "exception" code.
    if (err instanceof DomainError) return { code: err.kind === 'not-found' ? ZLM_CODE.notFound : ZLM_CODE.exception, msg: err.message };
    this.logger.error(`${api} stream ${args.stream_id ?? '-'}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { code: ZLM_CODE.exception, msg: err instanceof Error ? err.message : String(err) };
  }
}
