// One handler route request, in the PyWorker's order (docs/pyworker.md §2.2): envelope (422) → workload → session
// (410) → signature (401, empty) → admission by wait time (429, empty) → FIFO or parallel → forward and relay
// (upstream status and body; 500 empty on failure) → accounting (success, errored, cancelled).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Accounting, RequestRecord } from './accounting.js';
import type { WorkerConfig } from './config.js';
import { parseEnvelope } from './envelope.js';
import type { FifoQueue } from './fifo.js';
import { workloadOf, type HandlerRoute } from './route-table.js';
import { clientField } from './client-field.js';
import { clientGoneSignal, sendEmpty, sendJson } from './http-util.js';
import { forwardAndRelay } from './relay.js';
import type { SessionStore } from './sessions.js';
import { verifySignature } from './signature.js';

export interface RouteContext {
  config: WorkerConfig;
  log: Logger;
  accounting: Accounting;
  fifo: FifoQueue;
  dispatcher: Dispatcher;
  sessions: SessionStore;
  pubkey(): KeyObject | undefined;
}

/** The signature rule shared by the handler routes and /session/create; logs every failure clearly (vast-cli #493). */
export function signatureAccepted(ctx: RouteContext, authData: Record<string, unknown>, log: Logger): boolean {
  if (ctx.config.unsecured) return true;
  const result = verifySignature(ctx.pubkey(), authData);
  if (!result.ok) log.warn({ reason: result.reason, url: clientField(authData.url) }, 'signature rejected (401); UNSECURED=true disables the check');
  return result.ok;
}

export async function handleRoute(
  ctx: RouteContext,
  route: HandlerRoute,
  body: Buffer,
  _req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const parsed = parseEnvelope(body);
  if (!parsed.ok) {
    sendJson(res, parsed.status, parsed.body);
    return;
  }
  const { authData, payload, sessionId } = parsed.envelope;
  const log = ctx.log.child({ route: route.path, reqnum: clientField(authData.reqnum), request_idx: clientField(authData.request_idx) });
  const { workload, fallback } = workloadOf(route, payload);
  if (fallback) log.warn({ workload }, 'workload calculator failed; using the default workload');

  let session = undefined;
  if (sessionId !== null) {
    session = ctx.sessions.touch(sessionId);
    if (session === undefined) {
      sendJson(res, 410, { error: 'invalid session' });
      return;
    }
  }
  const record = ctx.accounting.newRecord(authData, workload, session === undefined ? 'request' : 'in-session');

  if (!signatureAccepted(ctx, authData, log)) {
    ctx.accounting.reject(record);
    sendEmpty(res, 401);
    return;
  }
  if (route.maxQueueTime !== null) {
    const wait = ctx.accounting.waitTime();
    if (wait > route.maxQueueTime) {
      log.info({ wait_time: wait, max_queue_time: route.maxQueueTime, workload }, 'rejected (429): estimated wait too long');
      ctx.accounting.reject(record);
      sendEmpty(res, 429);
      return;
    }
  }

  ctx.accounting.start(record);
  const signal = clientGoneSignal(res);
  session?.requests.add(res);
  let release: (() => void) | undefined;
  try {
    if (!route.parallel) release = await ctx.fifo.acquire(signal);
    if (signal.aborted) throw signal.reason;
    ctx.accounting.markWorkStarted(record);
    await forwardAndRelay({
      dispatcher: ctx.dispatcher,
      modelServerUrl: ctx.config.modelServerUrl,
      path: route.path,
      payload,
      res,
      signal,
      busyRetryMs: route.parallel ? 0 : ctx.config.timings.busyRetryMs,
    });
    ctx.accounting.success(record);
  } catch (err) {
    finishFailed(ctx, record, res, signal, err, log);
  } finally {
    release?.();
    session?.requests.delete(res);
    ctx.accounting.end(record);
  }
}

function finishFailed(
  ctx: RouteContext,
  record: RequestRecord,
  res: ServerResponse,
  signal: AbortSignal,
  err: unknown,
  log: Logger,
): void {
  if (signal.aborted) {
    log.info('client disconnected; request cancelled');
    ctx.accounting.cancelled(record);
    return;
  }
  log.warn({ err }, 'forwarding to the model server failed');
  ctx.accounting.errored(record);
  if (!res.headersSent) sendEmpty(res, 500);
  else res.destroy();
}
