import { LeaseQueries } from '@app/leasing';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PortsQueryDto } from './dto/ports-query.dto';
import { PortUsageResponse, toPortUsageResponse } from './port-usage.response';

@ApiTags('ports')
@Controller('ports')
export class PortsController {
  constructor(private readonly queries: LeaseQueries) {}

  @Get()
  @ApiOkResponse({ type: PortUsageResponse })
  async usage(@Query() q: PortsQueryDto): Promise<PortUsageResponse> {
    return toPortUsageResponse(await this.queries.portUsage(q.nodeId));
  }
}
