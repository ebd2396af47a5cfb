// The worker's router on node:http (the routes are route-table.ts's; POST only; another method on a known path: 405; unknown path: 404,
// with aiohttp's plain-text pages; /pyworker/update exists only when MASTER_TOKEN is set, see update-route.ts).
// node:http rather than Fastify: the relay writes the upstream status and raw chunks straight to the response,
// bodies are parsed exactly once with the PyWorker's 422 shapes, and a closed response is the one signal of a
// client disconnect.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { findRoute } from './route-table.js';
import { BodyTooLarge } from './errors.js';
import { readBody, sendJson, sendText } from './http-util.js';
import { handleRoute, type RouteContext } from './handle-request.js';
import { sessionCreate, sessionEnd, sessionGet, sessionHealth } from './session-routes.js';
import { pyworkerUpdate } from './update-route.js';

type BodyRoute = (ctx: RouteContext, body: Buffer, res: ServerResponse) => Promise<void>;

const SESSION_ROUTES: Record<string, BodyRoute> = {
  '/session/create': sessionCreate,
  '/session/end': sessionEnd,
  '/session/get': sessionGet,
  '/session/health': sessionHealth,
};

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The main listener (WORKER_PORT): handler routes, session routes and /pyworker/update. */
export function mainListener(ctx: RouteContext): RequestListener {
  return (req, res) => {
    const path = pathOf(req);
    const route = findRoute(path);
    const sessionRoute = SESSION_ROUTES[path];
    const isUpdate = path === '/pyworker/update' && ctx.config.masterToken !== '';
    if (route === undefined && sessionRoute === undefined && !isUpdate) return notFound(res);
    if (req.method !== 'POST') return methodNotAllowed(res);
    void (async () => {
      if (isUpdate) {
        req.resume();
        return pyworkerUpdate(ctx.config.masterToken, ctx.config.forceUpdateFile, req, res, ctx.log);
      }
      const body = await readBody(req, ctx.config.maxBodyBytes);
      if (route !== undefined) return handleRoute(ctx, route, body, req, res);
      return sessionRoute(ctx, body, res);
    })().catch((err: unknown) => failed(ctx, res, err));
  };
}

/** The plain-HTTP second listener (WORKER_HTTP_PORT): only POST /session/end. */
export function secondListener(ctx: RouteContext): RequestListener {
  return (req, res) => {
    if (pathOf(req) !== '/session/end') return notFound(res);
    if (req.method !== 'POST') return methodNotAllowed(res);
    readBody(req, ctx.config.maxBodyBytes)
      .then((body) => sessionEnd(ctx, body, res))
      .catch((err: unknown) => failed(ctx, res, err));
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function notFound(res: ServerResponse): void {
  sendText(res, 404, '404: Not Found');
}

function methodNotAllowed(res: ServerResponse): void {
  sendText(res, 405, '405: Method Not Allowed', { allow: 'POST' });
}

function failed(ctx: RouteContext, res: ServerResponse, err: unknown): void {
  if (err instanceof BodyTooLarge) {
    sendJson(res, 413, { error: err.message });
    res.once('finish', () => res.socket?.destroy());
    return;
  }
  ctx.log.error({ err }, 'request failed');
  if (!res.headersSent) sendText(res, 500, '500: Internal Server Error');
  else res.destroy();
}
