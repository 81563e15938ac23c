import type { PsSubscriber } from '@app/gateway';
import { PullLiveStreamUseCase } from '@app/leasing';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../config/settings';
import { SETTINGS } from '../config/settings.token';
import { ErrorBody } from '../http/error-body';

/**
 * Live pull of a lease's reassembled MPEG-PS, chunked. Up to LIVE_PULLS_PER_LEASE clients per
 * lease; each starts at the next keyframe pack (or the next pack start, see PsFanout), may
 * connect before the device does and then waits, is cut off when it falls too far behind, and
 * its response ends when the lease ends. A client that hangs up is unsubscribed at once, also
 * when it hangs up before its subscription (while the lease is read).
 */
@ApiTags('leases')
@Controller('leases')
export class LeaseStreamController {
  constructor(
    private readonly pulls: PullLiveStreamUseCase,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Get(':id/stream.ps')
  @ApiProduces('video/mp2p')
  @ApiOkResponse({ description: 'the live program stream, chunked, until the lease ends' })
  @ApiNotFoundResponse({ type: ErrorBody })
  @ApiConflictResponse({ type: ErrorBody, description: 'lease_ended' })
  @ApiTooManyRequestsResponse({ type: ErrorBody, description: 'too_many_pulls: LIVE_PULLS_PER_LEASE reached' })
  async stream(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const subscriber: PsSubscriber = {
      // The callback runs once the bytes are written out or the write failed (also on a destroyed
      // response). `write` is false once the response queues its high-water mark (16 KiB): only
      // then does the fan-out read `writableLength` before the next hand-over.
      push: (chunk, written) => res.write(chunk, written),
      backlog: () => res.writableLength,
      end: (reason) => (reason === 'too-slow' ? res.destroy() : res.end()),
    };
    const stillWanted = async () => {
      if (this.settings.testDelayBeforePullMs) await sleep(this.settings.testDelayBeforePullMs);
      // The client hung up while the lease was read: nobody to subscribe (its 'close' has passed).
      return !res.destroyed;
    };
    const unsubscribe = await this.pulls.subscribe(id, this.settings.media.livePullsPerLease, subscriber, stillWanted);
    if (!unsubscribe) return;
    res.on('close', unsubscribe);
    res.status(200);
    res.setHeader('content-type', 'video/mp2p');
    res.setHeader('cache-control', 'no-store');
    res.flushHeaders();
  }
}
