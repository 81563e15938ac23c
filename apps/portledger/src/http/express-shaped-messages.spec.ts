import express from 'express';
import { IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exactRoutingAdapter } from './exact-routing';
import { expressShapedMessages } from './express-shaped-messages';

interface Seen {
  atArrival: object;
  inRoute: object;
  appRequest: object;
  appResponse: object;
  resProto: object;
  isMessage: boolean;
  isResponse: boolean;
  app: unknown;
}

function get(server: Server, path: string, headers: Record<string, string> = {}) {
  const { port } = server.address() as AddressInfo;
  return new Promise<{ status: number; body: string; type: string | undefined }>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    })
      .on('error', reject)
      .end();
  });
}

describe('requests and responses built with the Express app prototypes (no per-request prototype change)', () => {
  let server: Server | null = null;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  function start(app: express.Express, seen: Partial<Seen>): Promise<Server> {
    const s = (server = new Server(expressShapedMessages(app), app));
    // Runs before Express's handler (listeners fire in order): the prototype node:http gave it.
    s.prependListener('request', (req: object) => (seen.atArrival = Object.getPrototypeOf(req) as object));
    return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
  }

  it('hands Express a request whose prototype is already the app request, so Express changes none', async () => {
    const app = express();
    const seen: Partial<Seen> = {};
    app.get('/x', (req, res) => {
      seen.inRoute = Object.getPrototypeOf(req) as object;
      seen.resProto = Object.getPrototypeOf(res) as object;
      seen.appRequest = app.request;
      seen.appResponse = app.response;
      seen.isMessage = req instanceof IncomingMessage;
      seen.isResponse = res instanceof ServerResponse;
      seen.app = req.app;
      res.json({ host: req.get('host')?.startsWith('127.0.0.1:'), q: req.query.q, secure: req.secure });
    });
    const s = await start(app, seen);
    const r = await get(s, '/x?q=1');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.body)).toEqual({ host: true, q: '1', secure: false });
    expect(seen.atArrival).toBe(seen.appRequest);
    expect(seen.inRoute).toBe(seen.appRequest);
    expect(seen.resProto).toBe(seen.appResponse);
    expect(seen.isMessage).toBe(true);
    expect(seen.isResponse).toBe(true);
    expect(seen.app).toBe(app);
  });

  it("keeps Express's request and response methods and its 404 and error answers", async () => {
    const app = express();
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.get('/redirect', (_req, res) => res.redirect(302, '/x'));
    app.get('/status', (_req, res) => void res.status(418).type('text').send('teapot'));
    const s = await start(app, {});
    expect((await get(s, '/nowhere')).status).toBe(404);
    expect((await get(s, '/boom')).status).toBe(500);
    expect((await get(s, '/redirect')).status).toBe(302);
    const teapot = await get(s, '/status');
    expect([teapot.status, teapot.body, teapot.type]).toEqual([418, 'teapot', 'text/plain; charset=utf-8']);
  });

  it('is what the exact-routing adapter builds its HTTP server with', () => {
    const adapter = exactRoutingAdapter();
    adapter.initHttpServer({});
    const app = adapter.getInstance<express.Express>();
    const server = adapter.getHttpServer() as Server;
    // node:http keeps the classes it was given under symbols; find the request class among them.
    const classes = Object.getOwnPropertySymbols(server)
      .map((k) => (server as unknown as Record<symbol, unknown>)[k])
      .filter((v): v is { prototype: object } => typeof v === 'function' && 'prototype' in v);
    expect(classes.map((c) => c.prototype)).toEqual(expect.arrayContaining([app.request, app.response]));
  });
});
