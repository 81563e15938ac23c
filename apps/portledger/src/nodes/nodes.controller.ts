import { FleetNodesQuery, type FleetNode } from '@app/leasing';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';

class NodeResponse {
  @ApiProperty() nodeId: string;
  @ApiProperty({ nullable: true, type: String, description: 'host of the process that runs it; null when no process has a row' })
  host: string | null;
  @ApiProperty({ nullable: true, type: Number }) pid: number | null;
  @ApiProperty({ nullable: true, type: String }) heartbeatAt: string | null;
  @ApiProperty({ description: 'a process heartbeats for this node now' }) running: boolean;
  @ApiProperty({ description: 'the node that answers this request' }) self: boolean;
}

class NodeListResponse {
  @ApiProperty({ type: [NodeResponse] }) items: NodeResponse[];
}

function toNodeResponse(n: FleetNode): NodeResponse {
  return { ...n, heartbeatAt: n.heartbeatAt === null ? null : new Date(n.heartbeatAt).toISOString() };
}

@ApiTags('nodes')
@Controller('nodes')
export class NodesController {
  constructor(private readonly fleet: FleetNodesQuery) {}

  @Get()
  @ApiOkResponse({
    type: NodeListResponse,
    description: "the ledger's nodes: those with a running process and those holding active leases",
  })
  async list(): Promise<NodeListResponse> {
    return { items: (await this.fleet.nodes()).map(toNodeResponse) };
  }
}
