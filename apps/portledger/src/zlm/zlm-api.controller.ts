import { applyDecorators, Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ZlmApiService, type ZlmApiName, type ZlmReply } from './zlm-api.service';
import {
  ZLM_PARAMS,
  ZlmCloseRtpServerReply,
  ZlmGetRtpInfoReply,
  ZlmListRtpServerReply,
  ZlmOpenRtpServerReply,
  ZlmReplyBody,
} from './zlm-api.responses';
import { collectZlmArgs } from './zlm-args';
import { ZlmSecretRoute } from '../http/auth-policy';

type Args = Record<string, unknown>;

/** GET takes the parameters as a query; POST as a form or JSON body (the query may add to it). */
function ZlmDoc(api: ZlmApiName, method: 'get' | 'post', summary: string, reply: new () => ZlmReplyBody) {
  const params = ZLM_PARAMS[api];
  const properties = Object.fromEntries(params.map(([name, , description]) => [name, { type: 'string', description }]));
  const required = params.filter(([, r]) => r).map(([name]) => name);
  return applyDecorators(
    ApiOperation({ summary, description: 'ZLMediaKit-compatible (server/WebApi.cpp). Always HTTP 200; see `code`.' }),
    ApiOkResponse({ type: reply }),
    ...(method === 'get'
      ? params.map(([name, isRequired, description]) => ApiQuery({ name, required: isRequired, description, type: String }))
      : [
          ApiConsumes('application/x-www-form-urlencoded', 'application/json'),
          ApiBody({ schema: { type: 'object', properties, required } }),
        ]),
  );
}

@ApiTags('zlmediakit')
@ZlmSecretRoute()
@Controller('index/api')
export class ZlmApiController {
  constructor(private readonly zlm: ZlmApiService) {}

  @Get('openRtpServer')
  @ZlmDoc('openRtpServer', 'get', 'Open an RTP server (allocate a lease): answers its port', ZlmOpenRtpServerReply)
  openRtpServerGet(@Query() q: Args): Promise<ZlmReply> {
    return this.zlm.call('openRtpServer', collectZlmArgs(q, null));
  }

  @Post('openRtpServer')
  @HttpCode(200)
  @ZlmDoc('openRtpServer', 'post', 'Open an RTP server (allocate a lease): answers its port', ZlmOpenRtpServerReply)
  openRtpServerPost(@Query() q: Args, @Body() b: Args): Promise<ZlmReply> {
    return this.zlm.call('openRtpServer', collectZlmArgs(q, b));
  }

  @Get('closeRtpServer')
  @ZlmDoc('closeRtpServer', 'get', "Close a stream's RTP server (release its lease)", ZlmCloseRtpServerReply)
  closeRtpServerGet(@Query() q: Args): Promise<ZlmReply> {
    return this.zlm.call('closeRtpServer', collectZlmArgs(q, null));
  }

  @Post('closeRtpServer')
  @HttpCode(200)
  @ZlmDoc('closeRtpServer', 'post', "Close a stream's RTP server (release its lease)", ZlmCloseRtpServerReply)
  closeRtpServerPost(@Query() q: Args, @Body() b: Args): Promise<ZlmReply> {
    return this.zlm.call('closeRtpServer', collectZlmArgs(q, b));
  }

  @Get('listRtpServer')
  @ZlmDoc('listRtpServer', 'get', "List this node's RTP servers (active leases)", ZlmListRtpServerReply)
  listRtpServerGet(@Query() q: Args): Promise<ZlmReply> {
    return this.zlm.call('listRtpServer', collectZlmArgs(q, null));
  }

  @Post('listRtpServer')
  @HttpCode(200)
  @ZlmDoc('listRtpServer', 'post', "List this node's RTP servers (active leases)", ZlmListRtpServerReply)
  listRtpServerPost(@Query() q: Args, @Body() b: Args): Promise<ZlmReply> {
    return this.zlm.call('listRtpServer', collectZlmArgs(q, b));
  }

  @Get('getRtpInfo')
  @ZlmDoc('getRtpInfo', 'get', "A stream's RTP server and connected device", ZlmGetRtpInfoReply)
  getRtpInfoGet(@Query() q: Args): Promise<ZlmReply> {
    return this.zlm.call('getRtpInfo', collectZlmArgs(q, null));
  }

  @Post('getRtpInfo')
  @HttpCode(200)
  @ZlmDoc('getRtpInfo', 'post', "A stream's RTP server and connected device", ZlmGetRtpInfoReply)
  getRtpInfoPost(@Query() q: Args, @Body() b: Args): Promise<ZlmReply> {
    return this.zlm.call('getRtpInfo', collectZlmArgs(q, b));
  }

  @Get('connectRtpServer')
  @ZlmDoc('connectRtpServer', 'get', 'TCP-ACTIVE: dial the device (dst_url:dst_port) from the RTP port', ZlmReplyBody)
  connectRtpServerGet(@Query() q: Args): Promise<ZlmReply> {
    return this.zlm.call('connectRtpServer', collectZlmArgs(q, null));
  }

  @Post('connectRtpServer')
  @HttpCode(200)
  @ZlmDoc('connectRtpServer', 'post', 'TCP-ACTIVE: dial the device (dst_url:dst_port) from the RTP port', ZlmReplyBody)
  connectRtpServerPost(@Query() q: Args, @Body() b: Args): Promise<ZlmReply> {
    return this.zlm.call('connectRtpServer', collectZlmArgs(q, b));
  }

  @Get('updateRtpServerSSRC')
  @ZlmDoc('updateRtpServerSSRC', 'get', 'Change the SSRC a stream expects, on the running session too', ZlmReplyBody)
  updateRtpServerSsrcGet(@Query() q: Args): Promise<ZlmReply> {
    return this.zlm.call('updateRtpServerSSRC', collectZlmArgs(q, null));
  }

  @Post('updateRtpServerSSRC')
  @HttpCode(200)
  @ZlmDoc('updateRtpServerSSRC', 'post', 'Change the SSRC a stream expects, on the running session too', ZlmReplyBody)
  updateRtpServerSsrcPost(@Query() q: Args, @Body() b: Args): Promise<ZlmReply> {
    return this.zlm.call('updateRtpServerSSRC', collectZlmArgs(q, b));
  }
}
