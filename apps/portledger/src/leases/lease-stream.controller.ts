import { MediaGateway, type PsSubscriber } from '@app/gateway';
import { isActiveState, LeaseEndedError, LeaseQueries } from '@app/ledger';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ErrorBody } from '../http/error-body';

/**
 * Live pull of a lease's reassembled MPEG-PS, chunked. Any number of clients; each starts at
 * the next keyframe pack (or the next pack start, see PsFanout), may connect before the
 * device does and then waits, is cut off when it falls too far behind, and its response ends
 * when the lease ends.
 */
@ApiTags('leases')
@Controller('leases')
export class LeaseStreamController {
  constructor(
    private readonly queries: LeaseQueries,
    private readonly gateway: MediaGateway,
  ) {}

  @Get(':id/stream.ps')
  @ApiProduces('video/mp2p')
  @ApiOkResponse({ description: 'the live program stream, chunked, until the lease ends' })
  @ApiNotFoundResponse({ type: ErrorBody })
  @ApiConflictResponse({ type: ErrorBody, description: 'lease_ended' })
  async stream(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const lease = await this.queries.lease(id);
    if (!isActiveState(lease.state)) throw new LeaseEndedError(id, lease.state);
    const subscriber: PsSubscriber = {
      push: (chunk) => void res.write(chunk),
      backlog: () => res.writableLength,
      end: (reason) => (reason === 'too-slow' ? res.destroy() : res.end()),
    };
    const unsubscribe = this.gateway.subscribe(id, subscriber);
    if (!unsubscribe) throw new LeaseEndedError(id, 'closing');
    res.on('close', unsubscribe);
    res.status(200);
    res.setHeader('content-type', 'video/mp2p');
    res.setHeader('cache-control', 'no-store');
    res.flushHeaders();
  }
}
