import { AllocateLeaseUseCase, ConnectLeaseUseCase, LeaseQueries, ReleaseLeaseUseCase, RenewLeaseUseCase } from '@app/leasing';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ErrorBody } from '../http/error-body';
import { AllocateLeaseDto } from './dto/allocate-lease.dto';
import { LeaseEventsQueryDto } from './dto/lease-events-query.dto';
import { LeaseHistoryQueryDto } from './dto/lease-history-query.dto';
import { ReleaseByStreamQueryDto } from './dto/release-by-stream-query.dto';
import { RenewLeaseDto } from './dto/renew-lease.dto';
import { ConnectLeaseDto } from './dto/connect-lease.dto';
import {
  LeaseDetailResponse,
  LeaseEventsResponse,
  LeasePageResponse,
  LeaseResponse,
  toEventResponse,
  toLeaseDetailResponse,
  toLeaseResponse,
} from './lease.response';

@ApiTags('leases')
@ApiBadRequestResponse({ type: ErrorBody })
@Controller('leases')
export class LeasesController {
  constructor(
    private readonly allocation: AllocateLeaseUseCase,
    private readonly releasing: ReleaseLeaseUseCase,
    private readonly renewal: RenewLeaseUseCase,
    private readonly connecting: ConnectLeaseUseCase,
    private readonly queries: LeaseQueries,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: LeaseResponse, description: 'reserved, listeners open' })
  @ApiOkResponse({ type: LeaseResponse, description: 'the same request for an active stream: its lease' })
  @ApiConflictResponse({ type: ErrorBody, description: 'stream_conflict' })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'port_range_exhausted, ledger_unavailable' })
  async allocate(@Body() dto: AllocateLeaseDto, @Res({ passthrough: true }) res: Response): Promise<LeaseResponse> {
    const { lease, created } = await this.allocation.allocate(dto);
    res.status(created ? 201 : 200);
    return toLeaseResponse(lease);
  }

  @Get()
  @ApiOkResponse({ type: LeasePageResponse })
  async history(@Query() q: LeaseHistoryQueryDto): Promise<LeasePageResponse> {
    const page = await this.queries.history({ ...q, limit: q.limit ?? 50 });
    return { items: page.items.map(toLeaseResponse), nextCursor: page.nextCursor };
  }

  @Delete()
  @ApiOkResponse({ type: LeaseResponse, description: 'the active lease of the stream, released' })
  @ApiNotFoundResponse({ type: ErrorBody })
  async releaseByStream(@Query() q: ReleaseByStreamQueryDto): Promise<LeaseResponse> {
    return toLeaseResponse(await this.releasing.releaseStream(q.streamId));
  }

  @Get(':id')
  @ApiOkResponse({ type: LeaseDetailResponse })
  @ApiNotFoundResponse({ type: ErrorBody })
  async get(@Param('id') id: string): Promise<LeaseDetailResponse> {
    return toLeaseDetailResponse(await this.queries.get(id));
  }

  @Delete(':id')
  @ApiOkResponse({ type: LeaseResponse, description: 'released now, or already ended (idempotent)' })
  @ApiNotFoundResponse({ type: ErrorBody })
  async release(@Param('id') id: string): Promise<LeaseResponse> {
    return toLeaseResponse(await this.releasing.release(id));
  }

  @Post(':id/renew')
  @HttpCode(200)
  @ApiOkResponse({ type: LeaseResponse })
  @ApiNotFoundResponse({ type: ErrorBody })
  @ApiConflictResponse({ type: ErrorBody, description: 'lease_ended' })
  async renew(@Param('id') id: string, @Body() dto: RenewLeaseDto): Promise<LeaseResponse> {
    return toLeaseResponse(await this.renewal.renew(id, dto.ttlSeconds));
  }

  @Post(':id/connect')
  @HttpCode(200)
  @ApiOkResponse({
    type: LeaseResponse,
    description: 'tcp-active: the service dials the device now, retrying at least 1 s apart until the connect timeout',
  })
  @ApiNotFoundResponse({ type: ErrorBody })
  @ApiConflictResponse({ type: ErrorBody, description: 'wrong_transport (not a tcp-active lease), lease_ended' })
  async connect(@Param('id') id: string, @Body() dto: ConnectLeaseDto): Promise<LeaseResponse> {
    return toLeaseResponse(await this.connecting.connect(id, dto.address, dto.port));
  }

  @Get(':id/events')
  @ApiOkResponse({ type: LeaseEventsResponse })
  @ApiNotFoundResponse({ type: ErrorBody })
  async events(@Param('id') id: string, @Query() q: LeaseEventsQueryDto): Promise<LeaseEventsResponse> {
    const page = await this.queries.eventsOf(id, q);
    return { items: page.items.map(toEventResponse), nextCursor: page.nextCursor };
  }
}
