import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { STREAM_ID } from './allocate-lease.dto';

export class ReleaseByStreamQueryDto {
  @ApiProperty()
  @Matches(STREAM_ID, { message: 'streamId must be 1-128 characters of A-Za-z0-9_.:-' })
  streamId: string;
}
