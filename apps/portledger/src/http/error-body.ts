import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Every error the API returns has this shape; `error` is a stable code from the contract. */
export class ErrorBody {
  @ApiProperty({ example: 409 })
  statusCode: number;

  @ApiProperty({ example: 'stream_conflict' })
  error: string;

  @ApiProperty({ example: 'stream 3402..._0200000001 already has active lease ... with different ssrc' })
  message: string;

  @ApiPropertyOptional({ description: 'for stream_conflict: the active lease of the stream' })
  leaseId?: string;

  @ApiPropertyOptional({ description: 'for validation_failed: each bad field and why', type: 'array', items: { type: 'object' } })
  fields?: Array<{ field: string; errors: string[] }>;
}
