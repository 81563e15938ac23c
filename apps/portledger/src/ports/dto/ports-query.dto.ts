import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

export class PortsQueryDto {
  @ApiPropertyOptional({ description: 'another node of the fleet: its usage, counted from the ledger; default this node' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'nodeId must be 1-64 characters of A-Za-z0-9_.:-' })
  nodeId?: string;
}
