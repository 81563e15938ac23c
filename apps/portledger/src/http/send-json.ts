import type { Request, Response } from 'express';

const JSON_UTF8 = 'application/json; charset=utf-8';

/**
 * The bytes Express's res.json() writes for a JSON answer (same status line, the same
 * `Content-Type: application/json; charset=utf-8` and `Content-Length`, no ETag: the app
 * disables it, and sets no JSON replacer, spacing or escaping), without its per-call settings
 * lookups, content-type parsing and charset rewriting. A HEAD request, and a GET or HEAD with a conditional header (Express may answer
 * 304), go through res.json() itself.
 */
export function sendJson(req: Request, res: Response, value: unknown): void {
  const headers = req.headers;
  if (req.method === 'HEAD' || headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) {
    res.json(value);
    return;
  }
  const text = JSON.stringify(value);
  res.writeHead(res.statusCode, { 'Content-Type': JSON_UTF8, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
