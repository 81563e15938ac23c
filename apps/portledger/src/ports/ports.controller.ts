import { LeaseQueries } from '@app/ledger';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PortUsageResponse, toPortUsageResponse } from './port-usage.response';

@ApiTags('ports')
@Controller('ports')
export class PortsController {
  constructor(private readonly queries: LeaseQueries) {}

  @Get()
  @ApiOkResponse({ type: PortUsageResponse })
  async usage(): Promise<PortUsageResponse> {
    return toPortUsageResponse(await this.queries.portUsage());
  }
}
