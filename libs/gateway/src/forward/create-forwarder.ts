import type { ForwarderOptions, LeaseForwarder } from './lease-forwarder';
import { TcpForwarder } from './tcp-forwarder';
import { UdpForwarder } from './udp-forwarder';

export function createForwarder(options: ForwarderOptions): LeaseForwarder {
  return options.target.protocol === 'tcp' ? new TcpForwarder(options) : new UdpForwarder(options);
}
