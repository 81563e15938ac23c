import { DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE } from '@app/leasing';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInt } from './query-transforms';
import { EventCursor } from './query-validators';

/** A page of a lease's events, oldest first. */
export class LeaseEventsQueryDto {
  @ApiPropertyOptional({ default: DEFAULT_EVENT_PAGE, minimum: 1, maximum: MAX_EVENT_PAGE })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_EVENT_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @EventCursor()
  cursor?: string;
}
