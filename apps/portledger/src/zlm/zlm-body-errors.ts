import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { ZLM_CODE } from './zlm-args';

/**
 * A body the parsers reject (malformed JSON, too large) on /index/api/ is answered as
 * ZLMediaKit answers everything, HTTP 200 with a code, instead of the REST API's 4xx.
 * Must be installed right after the body parsers.
 */
export function installZlmBodyErrors(app: NestExpressApplication): void {
  app.use('/index/api', (err: { message?: string } | undefined, _req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    res.status(200).json({ code: ZLM_CODE.invalidArgs, msg: `unreadable request body: ${err.message ?? 'invalid'}` });
  });
}
