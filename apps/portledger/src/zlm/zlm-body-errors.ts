import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { collectZlmArgs, ZLM_CODE } from './zlm-args';
import { INCORRECT_SECRET, type ZlmSecret } from './zlm-secret';

/**
 * A body the parsers reject (malformed JSON, too large) on /index/api/ is answered as
 * ZLMediaKit answers everything, HTTP 200 with a code, instead of the REST API's 4xx. The
 * secret comes first here too: only the query can carry it now, and without it the answer is
 * -100, telling nothing about the body. Must be installed right after the body parsers.
 */
export function installZlmBodyErrors(app: NestExpressApplication, secret: ZlmSecret): void {
  app.use('/index/api', (err: { message?: string } | undefined, req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    if (!secret.accepts(collectZlmArgs(req.query, null).secret)) {
      res.status(200).json({ code: ZLM_CODE.authFailed, msg: INCORRECT_SECRET });
      return;
    }
    res.status(200).json({ code: ZLM_CODE.invalidArgs, msg: `unreadable request body: ${err.message ?? 'invalid'}` });
  });
}
