import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, Matches } from 'class-validator';
import { PortsQueryDto } from './ports-query.dto';

export class PairsQueryDto extends PortsQueryDto {
  @ApiPropertyOptional({
    type: String,
    example: 'peer,bitrateKbps,forward',
    description:
      'comma-separated names of the lease stats each leased pair carries in `live` (default peer,connected,bitrateKbps,packets,lost,codec,forward); a name the stats do not have is left out. The admin console asks for the stats its field table shows in a cell',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (value === '' ? [] : value.split(',')) : value))
  @IsArray({ message: 'stats must be a comma-separated list of stat names' })
  @ArrayMaxSize(32, { message: 'stats names at most 32 stats' })
  @Matches(/^[A-Za-z][A-Za-z0-9]{0,63}$/, { each: true, message: 'each name in stats must be 1-64 letters and digits' })
  stats?: string[];
}
