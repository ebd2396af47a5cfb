// The session routes (docs/pyworker.md §7): /session/create, /session/end, /session/get, /session/health.
// Fixed knowingly: /session/create checks the auth_data signature like a handler route (the PyWorker does not,
// so anyone could fill the session slots), and a missing auth_data is a 422, not a 500.

import type { ServerResponse } from 'node:http';
import { clientField } from './client-field.js';
import { nestedDeeperThan } from '../../common/src/json-depth.js';
import { isObject, TOO_DEEP } from './envelope.js';
import { sendEmpty, sendJson } from './http-util.js';
import { signatureAccepted, type RouteContext } from './handle-request.js';

type Parsed = { ok: true; data: Record<string, unknown> } | { ok: false };

function parseJsonObject(body: Buffer, res: ServerResponse): Parsed {
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 422, { error: 'invalid JSON' });
    return { ok: false };
  }
  // deepEqual and the stored auth_data are walked recursively (envelope.ts says why the depth is checked here).
  if (nestedDeeperThan(data)) {
    sendJson(res, 422, TOO_DEEP);
    return { ok: false };
  }
  return { ok: true, data: isObject(data) ? data : {} };
}

export async function sessionCreate(ctx: RouteContext, body: Buffer, res: ServerResponse): Promise<void> {
  const parsed = parseJsonObject(body, res);
  if (!parsed.ok) return;
  const { auth_data: authData, payload = {} } = parsed.data;
  const errors: Record<string, unknown> = {};
  if (!isObject(authData)) errors.auth_data = 'field missing';
  if (!isObject(payload)) errors.payload = { data: 'payload must be a dictionary' };
  const lifetime = isObject(payload) ? (payload.lifetime ?? 60.0) : 60.0;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime <= 0) {
    errors.payload = { lifetime: 'must be a positive number of seconds' };
  }
  if (!isObject(authData) || !isObject(payload) || Object.keys(errors).length > 0) {
    sendJson(res, 422, errors);
    return;
  }
  const log = ctx.log.child({
    route: '/session/create',
    reqnum: clientField(authData.reqnum),
    request_idx: clientField(authData.request_idx),
  });
  const record = ctx.sessions.placeholder(authData);
  if (!signatureAccepted(ctx, authData, log)) {
    ctx.accounting.reject(record);
    sendEmpty(res, 401);
    return;
  }
  if (ctx.sessions.isFull()) {
    ctx.accounting.reject(record);
    sendEmpty(res, 429);
    return;
  }
  const route = typeof payload.on_close_route === 'string' ? payload.on_close_route : null;
  const session = ctx.sessions.create(record, authData, lifetime as number, route, payload.on_close_payload ?? null);
  log.info({ session_id: session.id, lifetime }, 'session created');
  sendJson(res, 201, { session_id: session.id, expiration: session.expiration });
}

/** Shared first steps of end/get/health: JSON, session_id present. */
function sessionQuery(body: Buffer, res: ServerResponse): { id: unknown; auth: unknown } | undefined {
  const parsed = parseJsonObject(body, res);
  if (!parsed.ok) return undefined;
  const id = parsed.data.session_id;
  if (id === undefined || id === null || id === '' || id === 0 || id === false) {
    sendJson(res, 422, { error: 'missing session_id' });
    return undefined;
  }
  return { id, auth: parsed.data.session_auth };
}

export async function sessionEnd(ctx: RouteContext, body: Buffer, res: ServerResponse): Promise<void> {
  const q = sessionQuery(body, res);
  if (q === undefined) return;
  const s = ctx.sessions.get(q.id);
  if (s === undefined) {
    sendJson(res, 400, { error: `session with id ${String(q.id)} not found` });
    return;
  }
  if (q.auth === undefined || q.auth === null || !deepEqual(s.authData, q.auth)) {
    sendJson(res, 401, { error: 'session_auth is not valid' });
    return;
  }
  if (!(await ctx.sessions.close(s.id))) {
    sendJson(res, 410, { error: 'session already closed' });
    return;
  }
  sendJson(res, 200, { ended: true, removed_session: s.id });
}

export async function sessionGet(ctx: RouteContext, body: Buffer, res: ServerResponse): Promise<void> {
  const q = sessionQuery(body, res);
  if (q === undefined) return;
  const s = ctx.sessions.get(q.id);
  if (s === undefined) {
    sendJson(res, 400, { error: 'session does not exist' });
    return;
  }
  if (q.auth === undefined || q.auth === null || !deepEqual(s.authData, q.auth)) {
    sendJson(res, 401, { error: 'session_auth is not valid' });
    return;
  }
  sendJson(res, 200, {
    session_id: s.id,
    auth_data: s.authData,
    lifetime: s.lifetime,
    expiration: s.expiration,
    created_at: s.createdAt,
    on_close_route: s.onCloseRoute,
    on_close_payload: s.onClosePayload,
  });
}

export async function sessionHealth(ctx: RouteContext, body: Buffer, res: ServerResponse): Promise<void> {
  const q = sessionQuery(body, res);
  if (q === undefined) return;
  const s = ctx.sessions.get(q.id);
  if (s === undefined) {
    sendJson(res, 200, { ok: false });
    return;
  }
  if (q.auth === undefined || q.auth === null || !deepEqual(s.authData, q.auth)) {
    sendJson(res, 401, { error: 'session_auth is not valid' });
    return;
  }
  sendJson(res, 200, { ok: true });
}

/** Python's == on decoded JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
