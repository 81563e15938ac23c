/** A `node_locks` row: the process that runs a NODE_ID on this ledger. */
export interface NodeHolder {
  nodeId: string;
  host: string;
  pid: number;
  instanceId: string;
  acquiredAt: number;
  heartbeatAt: number;
}
