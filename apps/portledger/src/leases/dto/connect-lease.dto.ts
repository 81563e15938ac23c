import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsIP, Max, Min } from 'class-validator';

/** tcp-active: where the device listens (the c= address and m= port of its SDP answer). */
export class ConnectLeaseDto {
  @ApiProperty({ example: '192.0.2.10', description: "the device's address" })
  @IsIP(undefined, { message: 'address must be an IPv4 or IPv6 address' })
  address: string;

  @ApiProperty({ example: 15060, minimum: 1, maximum: 65535, description: "the device's TCP port" })
  @IsInt()
  @Min(1)
  @Max(65535)
  port: number;
}
