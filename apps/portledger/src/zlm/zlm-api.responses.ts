import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const CODES =
  '0 ok; -1 connectRtpServer: no such stream, or not tcp_mode=2; -100 incorrect secret; -300 invalid or missing argument, or stream exists; -400 no free pair or listen failure; -500 not found';

/** Every answer: HTTP 200, `code` 0 on success, else `msg` says why (ZLMediaKit's shape). */
export class ZlmReplyBody {
  @ApiProperty({ description: CODES, example: 0 }) code: number;
  @ApiPropertyOptional({ description: 'present when code is not 0' }) msg?: string;
}

export class ZlmOpenRtpServerReply extends ZlmReplyBody {
  @ApiPropertyOptional({ description: 'the RTP port (the pair is port, port+1)', example: 30000 }) port?: number;
}

export class ZlmCloseRtpServerReply extends ZlmReplyBody {
  @ApiPropertyOptional({ enum: [0, 1], description: '1: an active server (lease) was closed; 0: none for this stream_id' }) hit?: number;
}

export class ZlmRtpServerItem {
  @ApiProperty({ example: '__defaultVhost__' }) vhost: string;
  @ApiProperty({ example: 'rtp' }) app: string;
  @ApiProperty() stream_id: string;
  @ApiProperty() port: number;
  @ApiProperty({ description: 'expected SSRC as a number; 0 = any' }) ssrc: number;
  @ApiProperty({ enum: [0, 1, 2], description: '0 = UDP, 1 = TCP-PASSIVE, 2 = TCP-ACTIVE' }) tcp_mode: number;
  @ApiProperty({ example: 0 }) only_track: number;
}

export class ZlmListRtpServerReply extends ZlmReplyBody {
  @ApiPropertyOptional({ type: [ZlmRtpServerItem] }) data?: ZlmRtpServerItem[];
}

export class ZlmGetRtpInfoReply extends ZlmReplyBody {
  @ApiPropertyOptional({ description: 'an active lease exists for stream_id' }) exist?: boolean;
  @ApiPropertyOptional({ description: 'with a device connected' }) peer_ip?: string;
  @ApiPropertyOptional({ description: 'with a device connected' }) peer_port?: number;
  @ApiPropertyOptional({ description: 'with a device connected: MEDIA_ADVERTISED_HOST' }) local_ip?: string;
  @ApiPropertyOptional({ description: 'the RTP port with a device connected; 0 while none is' }) local_port?: number;
  @ApiPropertyOptional({ enum: [0, 1, 2], description: "with a device connected: the lease's mode (0 UDP, 1 TCP-PASSIVE, 2 TCP-ACTIVE)" })
  tcp_mode?: number;
}

/** Parameters of each API, for the OpenAPI document: [name, required, description]. */
export type ZlmParam = [string, boolean, string];

const SECRET: ZlmParam = ['secret', true, 'ZLM_API_SECRET'];
const STREAM: ZlmParam = ['stream_id', true, 'the stream (1-128 chars of A-Za-z0-9_.:-); the lease streamId'];
const IGNORED = (names: string[]): ZlmParam[] => names.map((n) => [n, false, 'accepted and ignored']);

export const ZLM_PARAMS: Record<string, ZlmParam[]> = {
  openRtpServer: [
    SECRET,
    ['port', true, '0: a pair from MEDIA_PORT_RANGE; N: exactly the pair N, N+1 (even, in range)'],
    STREAM,
    ['tcp_mode', false, '0 (default) = UDP, 1 = TCP-PASSIVE, 2 = TCP-ACTIVE (then connectRtpServer)'],
    ['enable_tcp', false, 'older form of tcp_mode=1'],
    ['ssrc', false, 'decimal SSRC; packets with another SSRC are dropped; 0 or absent = any'],
    ...IGNORED(['vhost', 'app', 're_use_port', 'only_track', 'only_audio', 'local_ip']),
  ],
  closeRtpServer: [SECRET, STREAM, ...IGNORED(['vhost', 'app'])],
  connectRtpServer: [
    SECRET,
    STREAM,
    ['dst_url', true, "the device's IP address (its SDP answer's c= line)"],
    ['dst_port', true, "the device's TCP port (its SDP answer's m= port)"],
    ...IGNORED(['vhost', 'app']),
  ],
  listRtpServer: [SECRET],
  getRtpInfo: [SECRET, STREAM, ...IGNORED(['vhost', 'app'])],
  updateRtpServerSSRC: [
    SECRET,
    STREAM,
    ['ssrc', true, 'decimal SSRC to expect from now on, also on the running session'],
    ...IGNORED(['vhost', 'app']),
  ],
};
