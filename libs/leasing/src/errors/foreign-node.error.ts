import { DomainError } from './domain.error';

/**
 * The lease is active on another node of the fleet. Only the node that holds a lease's sockets
 * may end or renew it; this node answers without touching any socket.
 */
export class ForeignNodeError extends DomainError {
  readonly code = 'foreign_node';
  readonly kind = 'conflict';
  constructor(leaseId: string, leaseNode: string, thisNode: string) {
    super(`lease ${leaseId} is held by node ${leaseNode}; ask that node (this is ${thisNode})`);
    this.extra.leaseId = leaseId;
    this.extra.nodeId = leaseNode;
  }
}
