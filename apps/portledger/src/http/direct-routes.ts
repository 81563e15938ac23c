import { HttpStatus, RequestMethod, UnauthorizedException, type PipeTransform, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Readiness } from '../health';
import { routeAdmits, routePolicy } from './bearer-auth.guard';
import { UNAUTHORIZED_BODY, type BearerTokens } from './bearer-tokens';
import { sendJson } from './send-json';

/**
 * The request parts a controller method takes, through the global validation pipe with the
 * argument metadata Nest would give it (so the same DTO rules, the same 400 bodies). A route
 * parameter is passed as Express decoded it: the pipe hands a string back unchanged.
 */
export class DirectArgs {
  constructor(private readonly pipe: PipeTransform) {}

  body<T>(req: Request, metatype: Type<T>): Promise<T> {
    return this.pipe.transform(req.body, { type: 'body', metatype, data: undefined }) as Promise<T>;
  }

  query<T>(req: Request, metatype: Type<T>): Promise<T> {
    return this.pipe.transform(req.query, { type: 'query', metatype, data: undefined }) as Promise<T>;
  }

  param(req: Request, name: string): string {
    return req.params[name] as string;
  }
}

/** A hot route answered without Nest's router: which controller method it stands for, and how to call it. */
export interface DirectRoute {
  controller: Type<object>;
  handler: string;
  /** the global prefix in front of the controller's path ('' for a controller outside it) */
  prefix: string;
  call(controller: object, req: Request, res: Response, args: DirectArgs): Promise<object>;
}

/** Types a direct route against its controller. */
export function directRoute<C extends object>(route: {
  controller: Type<C>;
  handler: keyof C & string;
  prefix: string;
  call(controller: C, req: Request, res: Response, args: DirectArgs): Promise<object>;
}): DirectRoute {
  return route;
}

const VERBS: Partial<Record<RequestMethod, 'get' | 'post' | 'delete'>> = {
  [RequestMethod.GET]: 'get',
  [RequestMethod.POST]: 'post',
  [RequestMethod.DELETE]: 'delete',
};

function joinPath(...parts: string[]): string {
  return `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;
}

/**
 * The allocation cycle's routes (issue 17), one thin Express handler each, mounted after the
 * body parsers and before Nest's router. Each answers for one controller method and reads from
 * it what Nest's router would: the path and method (so the exact-routing router matches the
 * same spellings), the status code, and the auth policy of the matched route (issue 12). It
 * then does what Nest's pipeline does for that route, without the pipeline: the token check of
 * BearerAuthGuard, the validation pipe, the controller method (its one use case and response
 * mapping), the status and the JSON body (as res.json() would write it). What it does not answer goes on to Nest: before the
 * boot is done the route's ReadinessGuard answers `503 starting`, and every error (401, 400,
 * domain errors) goes to the global exception filter through Express's error path, so the
 * bodies and codes come from the one table. Nest's route stays the documented one.
 */
export function installDirectRoutes(
  app: NestExpressApplication,
  routes: readonly DirectRoute[],
  deps: { tokens: BearerTokens; readiness: Readiness; reflector: Reflector; pipe: PipeTransform },
): void {
  const express: Express = app.getHttpAdapter().getInstance();
  const args = new DirectArgs(deps.pipe);
  const { tokens, readiness } = deps;
  for (const route of routes) {
    const handler = (route.controller.prototype as Record<string, object>)[route.handler];
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
    const verb = VERBS[method];
    const controllerPath: unknown = Reflect.getMetadata(PATH_METADATA, route.controller);
    const handlerPath: unknown = Reflect.getMetadata(PATH_METADATA, handler);
    if (!verb || typeof controllerPath !== 'string' || typeof handlerPath !== 'string')
      throw new Error(`${route.controller.name}.${route.handler} is not a GET/POST/DELETE route with one path`);
    const path = joinPath(route.prefix, controllerPath, handlerPath);
    const status =
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (verb === 'post' ? HttpStatus.CREATED : HttpStatus.OK);
    const policy = routePolicy(deps.reflector, handler, route.controller);
    const controller = app.get(route.controller);
    // A rejected promise goes to next(err) (Express 5), hence to the exception filter.
    express[verb](path, async (req: Request, res: Response, next: NextFunction) => {
      if (!routeAdmits(tokens, policy, req.headers.authorization)) throw new UnauthorizedException(UNAUTHORIZED_BODY);
      if (!readiness.ready) return next();
      res.statusCode = status; // what res.status() sets, for a code read from the route's metadata
      sendJson(req, res, await route.call(controller, req, res, args));
    });
  }
}
