// Forwarding to the model server and relaying its answer (docs/pyworker.md §2.5): only `payload` is sent, as JSON, to
// the same path; no timeout; a stream is relayed chunk by chunk with the upstream status and content type only;
// anything else is read whole and relayed with its headers, minus hop-by-hop ones.

import type { ServerResponse } from 'node:http';
import { finished, pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { sleep } from '../../common/src/deadline.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/** No headers or body timeout: a /generate stream runs for minutes (pitfall 9 of the Python worker). */
export function modelServerAgent(): Agent {
  return new Agent({ headersTimeout: 0, bodyTimeout: 0, connectTimeout: 10_000 });
}

/** The PyWorker's test for a streamed answer (generate_client_response). */
export function isStreamResponse(headers: Record<string, string | string[] | undefined>): boolean {
  const ct = headerText(headers['content-type']).toLowerCase();
  const mediaType = ct.split(';')[0].trim();
  if (mediaType.startsWith('text/event-stream')) return true;
  if (mediaType === 'application/x-ndjson' || mediaType === 'application/jsonl') return true;
  if (mediaType.includes('stream')) return true;
  return headerText(headers['transfer-encoding']).toLowerCase().includes('chunked');
}

function headerText(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

export interface RelayOptions {
  dispatcher: Dispatcher;
  modelServerUrl: string;
  path: string;
  payload: unknown;
  res: ServerResponse;
  /** Aborted when the client goes away: cancels the upstream request. */
  signal: AbortSignal;
  /**
   * For FIFO routes: for this long, a 503 {"error": "busy"} from the model server is retried instead of relayed.
   * Our model server refuses a job while the previous one still holds the devices, and a cancelled job releases
   * them only after its batch in flight, just after the worker has handed the FIFO to the next request.
   */
  busyRetryMs?: number;
}

/**
 * Forwards and relays. Resolves when the whole answer was written; rejects if the upstream request or the relay
 * failed (then, if the client response had started, it has been destroyed so the client sees a truncated stream).
 */
export async function forwardAndRelay(o: RelayOptions): Promise<void> {
  const retryUntil = Date.now() + (o.busyRetryMs ?? 0);
  let delay = 50;
  for (;;) {
    const up = await request(`${o.modelServerUrl}${o.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(o.payload),
      dispatcher: o.dispatcher,
      signal: o.signal,
      // A fresh connection per request, like the PyWorker's force_close: no stale keep-alive socket under a stream.
      reset: true,
    });
    if (up.statusCode === 503 && Date.now() < retryUntil && !isStreamResponse(up.headers)) {
      const body = Buffer.from(await up.body.arrayBuffer());
      if (!isBusyAnswer(body)) return relayWhole(o.res, up.statusCode, up.headers, body);
      if (!(await sleep(Math.min(delay, Math.max(0, retryUntil - Date.now())), o.signal))) throw o.signal.reason;
      delay = Math.min(delay * 2, 1000);
      continue;
    }
    try {
      if (isStreamResponse(up.headers)) {
        const ct = up.headers['content-type'];
        o.res.writeHead(up.statusCode, ct === undefined ? {} : { 'content-type': ct });
        o.res.flushHeaders();
        await pipeline(up.body, o.res);
        return;
      }
      await relayWhole(o.res, up.statusCode, up.headers, Buffer.from(await up.body.arrayBuffer()));
      return;
    } catch (err) {
      up.body.destroy();
      if (o.res.headersSent) o.res.destroy();
      throw err;
    }
  }
}

function isBusyAnswer(body: Buffer): boolean {
  try {
    return (JSON.parse(body.toString('utf8')) as { error?: unknown }).error === 'busy';
  } catch {
    return false;
  }
}

async function relayWhole(res: ServerResponse, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<void> {
  for (const [name, value] of Object.entries(headers)) {
    // undici does not decompress, so content-encoding stays true to the bytes relayed.
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) res.setHeader(name, value);
  }
  res.setHeader('content-length', body.length);
  res.writeHead(status);
  res.end(body);
  await finished(res);
}
