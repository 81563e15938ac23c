import { ApiProperty } from '@nestjs/swagger';
import { IsStreamId } from './stream-id.validator';

export class ReleaseByStreamQueryDto {
  @ApiProperty()
  @IsStreamId()
  streamId: string;
}
