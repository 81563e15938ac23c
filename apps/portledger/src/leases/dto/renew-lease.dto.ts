import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class RenewLeaseDto {
  @ApiPropertyOptional({ example: 600, description: 'new TTL from now; the lease TTL when omitted' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(31 * 24 * 3600)
  ttlSeconds?: number;
}
