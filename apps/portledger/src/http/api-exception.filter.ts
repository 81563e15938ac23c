import { DomainError, isLedgerConnectionError, LedgerUnavailableError } from '@app/leasing';
import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

const STATUS_BY_KIND: Record<DomainError['kind'], number> = {
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  invalid: HttpStatus.BAD_REQUEST,
  'too-many': HttpStatus.TOO_MANY_REQUESTS,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/**
 * The one place where errors become HTTP: domain errors by kind, Nest/HTTP errors by status,
 * body-parser errors (malformed JSON, too large) as 4xx, and anything else as a 500 that is
 * logged with its stack. Body: { statusCode, error, message }.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toBody(exception);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  }

  private toBody(exception: unknown): { status: number; body: Record<string, unknown> } {
    // A read that found the database unreachable is the ledger being down, not a bug.
    if (!(exception instanceof DomainError) && !(exception instanceof HttpException) && isLedgerConnectionError(exception)) {
      exception = new LedgerUnavailableError(exception);
    }
    if (exception instanceof DomainError) {
      const status = STATUS_BY_KIND[exception.kind];
      return { status, body: { statusCode: status, error: exception.code, message: exception.message, ...exception.extra } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const r = exception.getResponse();
      if (typeof r === 'object' && r && 'error' in r && typeof r.error === 'string' && /^[a-z_]+$/.test((r as { error: string }).error)) {
        return { status, body: { statusCode: status, ...(r as object) } };
      }
      // A validation failure carries a list of messages; anything that is not text falls back to
      // the exception's own message rather than printing "[object Object]".
      const detail = typeof r === 'string' ? r : (r as { message?: unknown }).message;
      const message = typeof detail === 'string' ? detail : Array.isArray(detail) ? detail.map(String).join('; ') : exception.message;
      // Nest turns body-parser's parse failure into a plain 400; give it its own code.
      const code = status === 400 && /JSON/.test(message) ? 'malformed_json' : (CODE_BY_STATUS[status] ?? `http_${status}`);
      return { status, body: { statusCode: status, error: code, message } };
    }
    // body-parser errors carry a status and a type (entity.parse.failed, entity.too.large).
    const e = exception as { status?: number; statusCode?: number; type?: string; message?: string };
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const error =
        e.type === 'entity.parse.failed'
          ? 'malformed_json'
          : e.type === 'entity.too.large'
            ? 'payload_too_large'
            : (CODE_BY_STATUS[status] ?? 'bad_request');
      return { status, body: { statusCode: status, error, message: e.message ?? 'bad request' } };
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { status: 500, body: { statusCode: 500, error: 'internal_error', message: 'internal error' } };
  }
}
