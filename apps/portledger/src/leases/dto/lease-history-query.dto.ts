import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ACTIVE_STATES, TERMINAL_STATES, type LeaseState } from '@app/leasing';
import { ToInt } from './query-transforms';
import { HistoryCursor, QueryTime } from './query-validators';
import { IsStreamId } from './stream-id.validator';

const STATES: Array<LeaseState | 'active'> = ['active', ...ACTIVE_STATES, ...TERMINAL_STATES];

export class LeaseHistoryQueryDto {
  @ApiPropertyOptional({ enum: STATES, description: 'active = any non-terminal state' })
  @IsOptional()
  @IsIn(STATES)
  state?: LeaseState | 'active';

  @ApiPropertyOptional()
  @IsOptional()
  @IsStreamId()
  streamId?: string;

  @ApiPropertyOptional({ description: 'RTP or RTCP port' })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  nodeId?: string;

  @ApiPropertyOptional({ description: 'created at or after (ISO-8601 or epoch ms, 1970..9999)' })
  @IsOptional()
  @QueryTime()
  from?: number;

  @ApiPropertyOptional({ description: 'created before (ISO-8601 or epoch ms, 1970..9999)' })
  @IsOptional()
  @QueryTime()
  to?: number;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @HistoryCursor()
  cursor?: string;
}
