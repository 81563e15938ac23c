import { PickType } from '@nestjs/swagger';
import { LeaseHistoryQueryDto } from '../../leases/dto/lease-history-query.dto';

/** The period [from, to): by default the 24 hours before `to`, and `to` defaults to now. */
export class ReconcileSummaryQueryDto extends PickType(LeaseHistoryQueryDto, ['from', 'to'] as const) {}
