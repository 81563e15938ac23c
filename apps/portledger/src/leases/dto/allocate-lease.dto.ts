import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsIP, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { STREAM_ID_RULE, TRANSPORTS, type Transport } from '@app/leasing';
import { IsForwardTarget } from './forward.validator';
import { IsSsrc, SsrcToString } from './ssrc.validator';
import { IsStreamId } from './stream-id.validator';

export class AllocateLeaseDto {
  @ApiProperty({ example: '34020000001320000001_0200000001', description: STREAM_ID_RULE })
  @IsString()
  @IsStreamId()
  streamId: string;

  @ApiPropertyOptional({ example: '0200000001', description: 'decimal, 0..4294967295; other SSRCs are dropped and counted' })
  @IsOptional()
  @SsrcToString()
  @IsSsrc()
  ssrc?: string;

  @ApiPropertyOptional({
    enum: TRANSPORTS,
    default: 'tcp-passive',
    description:
      'tcp-passive: the device connects to host:rtpPort over TCP; udp: the device sends RTP datagrams to host:rtpPort; tcp-active: the service connects to the device (peerAddress + peerPort, or POST /leases/:id/connect)',
  })
  @IsOptional()
  @IsIn(TRANSPORTS, { message: `transport must be one of ${TRANSPORTS.join(', ')}` })
  transport?: Transport;

  @ApiPropertyOptional({
    example: '192.0.2.10',
    description: 'tcp-passive/udp: the only address allowed to send; tcp-active: the device address to dial',
  })
  @IsOptional()
  @IsIP(undefined, { message: 'peerAddress must be an IPv4 or IPv6 address' })
  peerAddress?: string;

  @ApiPropertyOptional({
    example: 15060,
    minimum: 1,
    maximum: 65535,
    description: 'tcp-active only: the device port to dial (with peerAddress the service dials at once)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  peerPort?: number;

  @ApiPropertyOptional({ example: 600, minimum: 1, maximum: 2678400 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(31 * 24 * 3600)
  ttlSeconds?: number;

  @ApiPropertyOptional({ example: 30, minimum: 1, maximum: 86400 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  connectTimeoutSeconds?: number;

  @ApiPropertyOptional({ example: 20, minimum: 1, maximum: 86400 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  idleTimeoutSeconds?: number;

  @ApiPropertyOptional({ example: 'sip-signalling-1', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  client?: string;

  @ApiPropertyOptional({ example: false, description: 'write the PS to a file under RECORD_DIR' })
  @IsOptional()
  @IsBoolean()
  record?: boolean;

  @ApiPropertyOptional({
    example: 'tcp://127.0.0.1:10000',
    nullable: true,
    type: String,
    description: 'forward the stream there (RFC 4571 over TCP, or datagrams over UDP); null: not even to FORWARD_TO',
  })
  @IsOptional()
  @IsForwardTarget()
  forward?: string | null;

  @ApiPropertyOptional({ example: '0200000001', description: 'decimal, 0..4294967295: the SSRC written into forwarded packets' })
  @IsOptional()
  @SsrcToString()
  @IsSsrc()
  forwardSsrc?: string;
}
