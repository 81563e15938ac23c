import { LeaseQueries, PairGridQuery } from '@app/leasing';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PairsQueryDto } from './dto/pairs-query.dto';
import { PortsQueryDto } from './dto/ports-query.dto';
import { PairGridResponse, toPairGridResponse } from './pair-grid.response';
import { PortUsageResponse, toPortUsageResponse } from './port-usage.response';

@ApiTags('ports')
@Controller('ports')
export class PortsController {
  constructor(
    private readonly queries: LeaseQueries,
    private readonly grid: PairGridQuery,
  ) {}

  @Get()
  @ApiOkResponse({ type: PortUsageResponse })
  async usage(@Query() q: PortsQueryDto): Promise<PortUsageResponse> {
    return toPortUsageResponse(await this.queries.portUsage(q.nodeId));
  }

  @Get('pairs')
  @ApiOkResponse({
    type: PairGridResponse,
    description:
      'every pair of the range with its state, its active lease and live stats, or its quarantine entry (the admin console grid)',
  })
  async pairs(@Query() q: PairsQueryDto): Promise<PairGridResponse> {
    return toPairGridResponse(await this.grid.grid(q.nodeId, q.stats));
  }
}
