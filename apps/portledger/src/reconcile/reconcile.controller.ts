import { ReconcileReports, Reconciler } from '@app/reconciler';
import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ErrorBody } from '../http/error-body';
import { ReconcileReportsQueryDto } from './dto/reconcile-reports-query.dto';
import { ReconcileSummaryQueryDto } from './dto/reconcile-summary-query.dto';
import {
  ReconcileReportPageResponse,
  ReconcileReportResponse,
  ReconcileSummaryResponse,
  toReconcileReportResponse,
  toReconcileSummaryResponse,
} from './reconcile-report.response';

@ApiTags('reconcile')
@ApiBadRequestResponse({ type: ErrorBody })
@Controller('reconcile')
export class ReconcileController {
  constructor(
    private readonly reconciler: Reconciler,
    private readonly reports: ReconcileReports,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: ReconcileReportResponse, description: 'the report of the pass just run (or of the one already running)' })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'ledger_unavailable' })
  async run(): Promise<ReconcileReportResponse> {
    return toReconcileReportResponse(await this.reconciler.reconcileOnce());
  }

  @Get('reports')
  @ApiOkResponse({ type: ReconcileReportPageResponse })
  async list(@Query() q: ReconcileReportsQueryDto): Promise<ReconcileReportPageResponse> {
    const page = await this.reports.list({ ...q, limit: q.limit ?? 50 });
    return { items: page.items.map(toReconcileReportResponse), nextCursor: page.nextCursor };
  }

  @Get('reports/:id')
  @ApiOkResponse({ type: ReconcileReportResponse })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'report_not_found' })
  async get(@Param('id') id: string): Promise<ReconcileReportResponse> {
    return toReconcileReportResponse(await this.reports.get(id));
  }

  @Get('summary')
  @ApiOkResponse({ type: ReconcileSummaryResponse })
  async summary(@Query() q: ReconcileSummaryQueryDto): Promise<ReconcileSummaryResponse> {
    return toReconcileSummaryResponse(await this.reports.summary(q.from, q.to));
  }
}
