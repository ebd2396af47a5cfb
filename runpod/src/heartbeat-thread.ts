// The heartbeat's thread (docs/runpod.md §8, §13 req. 5): a worker_threads thread with its own event loop and its own
// HTTP client, so that a main thread busy with anything (a long synchronous step, a flood of partials) cannot delay
// a ping. Each ping carries the ids the main thread last wrote to the shared list; the first goes out at once, the
// next `intervalMs` after the previous one ended. An attempt is bounded by twice the interval; a network error or
// a 429/500/502/503/504 is tried again after each retry delay (or Retry-After); a failed ping is logged and the
// rhythm goes on. The thread ends when the main thread says "stop", and with the process in any case.
import { parentPort, workerData } from 'node:worker_threads';
import { sleep } from '../../common/src/deadline.js';
import { HttpClient, retry } from '../../common/src/http-client.js';
import { clientField } from '../../worker/src/client-field.js';
import { SharedJobIds } from './job-ids.js';
import { pingUrl } from './urls.js';

export interface HeartbeatData {
  /** The resolved ping URL, without job_id and runpod_version. */
  url: string;
  apiKey: string;
  userAgent: string;
  version: string;
  intervalMs: number;
  retryDelaysMs: number[];
  buffer: SharedArrayBuffer;
}

/** Messages to the main thread. */
export type HeartbeatMessage =
  | { type: 'pinged'; ok: boolean }
  | { type: 'log'; level: 'trace' | 'warn'; msg: string; fields: Record<string, unknown> };

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
/** A Retry-After longer than this is not waited for (the next ping comes an interval later anyway). */
const MAX_RETRY_AFTER_MS = 60_000;

class Retryable extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(text) - Date.now();
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

async function pingOnce(http: HttpClient, d: HeartbeatData, ids: SharedJobIds, stop: AbortSignal): Promise<boolean> {
  const send = (message: HeartbeatMessage): void => parentPort?.postMessage(message);
  let lastFailure: Retryable | undefined;
  try {
    await retry(async () => {
      const jobIds = ids.read();
      try {
        const { status, headers } = await http.send('GET', pingUrl(d.url, jobIds, d.version),
          { headers: { authorization: d.apiKey, 'user-agent': d.userAgent }, signal: stop, statusOnly: true });
        if (RETRY_STATUSES.has(status)) throw new Retryable(`HTTP ${status}`, retryAfterMs(headers['retry-after']));
        send({ type: 'log', level: 'trace', msg: 'ping', fields: { status, jobIds: jobIds.length } });
      } catch (err) {
        if (stop.aborted) throw err;
        lastFailure = err instanceof Retryable ? err : new Retryable((err as Error).message);
        throw lastFailure;
      }
    }, {
      attempts: d.retryDelaysMs.length + 1,
      delayMs: (n) => lastFailure?.retryAfterMs ?? d.retryDelaysMs[n - 1] ?? 0,
      signal: stop,
    });
    return true;
  } catch (err) {
    if (!stop.aborted) send({ type: 'log', level: 'warn', msg: 'ping failed', fields: { detail: clientField((err as Error).message) } });
    return false;
  }
}

async function run(d: HeartbeatData): Promise<void> {
  const stop = new AbortController();
  parentPort?.on('message', (m: unknown) => {
    if (m === 'stop') stop.abort();
  });
  const http = new HttpClient({ timeoutMs: 2 * d.intervalMs, maxAnswerBytes: 64 * 1024 });
  const ids = new SharedJobIds(d.buffer);
  try {
    do {
      const ok = await pingOnce(http, d, ids, stop.signal);
      parentPort?.postMessage({ type: 'pinged', ok } satisfies HeartbeatMessage);
    } while (await sleep(d.intervalMs, stop.signal));
  } finally {
    await http.close();
    parentPort?.close();
  }
}

if (parentPort !== null) void run(workerData as HeartbeatData);
