import type { Type } from '@nestjs/common';
import { directRoute } from '../http/direct-routes';
import { ZlmApiController } from './zlm-api.controller';

/** What Nest sees as the type of the controller's `Args` parameters. */
const ARGS = Object as unknown as Type<Record<string, unknown>>;

/** A GET handler takes the query. */
const byQuery = (handler: 'openRtpServerGet' | 'closeRtpServerGet') =>
  directRoute({
    controller: ZlmApiController,
    handler,
    prefix: '',
    call: async (c, req, _res, args) => c[handler](await args.query(req, ARGS)),
  });

/** A POST handler takes the query and the body (form or JSON). */
const byBody = (handler: 'openRtpServerPost' | 'closeRtpServerPost') =>
  directRoute({
    controller: ZlmApiController,
    handler,
    prefix: '',
    call: async (c, req, _res, args) => c[handler](await args.query(req, ARGS), await args.body(req, ARGS)),
  });

/**
 * WVP's open and close calls, GET and POST, without Nest's router (http/direct-routes.ts). The
 * arguments go through the validation pipe as Nest passes them (an untyped object: only the
 * nesting limit applies).
 */
export const ZLM_DIRECT_ROUTES = [
  byQuery('openRtpServerGet'),
  byBody('openRtpServerPost'),
  byQuery('closeRtpServerGet'),
  byBody('closeRtpServerPost'),
];
