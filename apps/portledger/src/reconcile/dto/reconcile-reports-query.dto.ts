import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { LeaseHistoryQueryDto } from '../../leases/dto/lease-history-query.dto';
import { ToBoolean } from '../../leases/dto/query-transforms';

/** Paged like lease history (same from/to/limit/cursor rules); `from`/`to` bound the pass's start. */
export class ReconcileReportsQueryDto extends PickType(LeaseHistoryQueryDto, ['from', 'to', 'limit', 'cursor', 'nodeId'] as const) {
  @ApiPropertyOptional({ description: 'true: skip the passes that found nothing' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'withFindings must be true or false' })
  withFindings?: boolean;
}
