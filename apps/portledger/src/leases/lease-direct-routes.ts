import { API_PREFIX } from '../http/api-prefix';
import { directRoute } from '../http/direct-routes';
import { AllocateLeaseDto } from './dto/allocate-lease.dto';
import { ReleaseByStreamQueryDto } from './dto/release-by-stream-query.dto';
import { RenewLeaseDto } from './dto/renew-lease.dto';
import { LeasesController } from './leases.controller';

/** A signalling server's calls: allocate, release (by id or by stream) and renew, without Nest's router (http/direct-routes.ts). */
export const LEASE_DIRECT_ROUTES = [
  directRoute({
    controller: LeasesController,
    handler: 'allocate',
    prefix: API_PREFIX,
    call: async (c, req, res, args) => c.allocate(await args.body(req, AllocateLeaseDto), res),
  }),
  directRoute({
    controller: LeasesController,
    handler: 'release',
    prefix: API_PREFIX,
    call: (c, req, _res, args) => c.release(args.param(req, 'id')),
  }),
  directRoute({
    controller: LeasesController,
    handler: 'releaseByStream',
    prefix: API_PREFIX,
    call: async (c, req, _res, args) => c.releaseByStream(await args.query(req, ReleaseByStreamQueryDto)),
  }),
  directRoute({
    controller: LeasesController,
    handler: 'renew',
    prefix: API_PREFIX,
    call: async (c, req, _res, args) => c.renew(args.param(req, 'id'), await args.body(req, RenewLeaseDto)),
  }),
];
