import { STREAM_ID, STREAM_ID_RULE } from '@app/leasing';
import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export class ReleaseByStreamQueryDto {
  @ApiProperty()
  @Matches(STREAM_ID, { message: `streamId must be ${STREAM_ID_RULE}` })
  streamId: string;
}
