import { MediaGateway } from '@app/gateway';
import { Injectable } from '@nestjs/common';

/** Destroys a lease's device connection (one the OS shows stuck); the lease keeps listening. */
@Injectable()
export class DisconnectDeviceUseCase {
  constructor(private readonly gateway: MediaGateway) {}

  /** 'no-lease': the gateway holds no such lease; 'gone': it had no connection any more. */
  disconnect(leaseId: string, why: string): 'destroyed' | 'no-lease' | 'gone' {
    if (!this.gateway.has(leaseId)) return 'no-lease';
    return this.gateway.disconnectDevice(leaseId, why) ? 'destroyed' : 'gone';
  }
}
