// Asking the model server whether it is up: GET {MODEL_SERVER_URL}{health path} answering 200 (our model server's
// /health answers 503 once its GPU is unusable, and nothing at all when its process is gone).

import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import { timeoutSignal } from './abort.js';

export interface ProbeOptions {
  modelServerUrl: string;
  healthPath: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
}

/** One probe: the status, or the error text when no HTTP answer came. */
export async function probeOnce(o: ProbeOptions, signal?: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
  const scoped = timeoutSignal(o.timeoutMs, signal);
  try {
    const res = await request(`${o.modelServerUrl}${o.healthPath}`, {
      method: 'GET',
      dispatcher: o.dispatcher,
      signal: scoped.signal,
      reset: true,
    });
    await res.body.dump();
    return { healthy: res.statusCode === 200, detail: `HTTP ${res.statusCode}` };
  } catch (err) {
    return { healthy: false, detail: (err as Error).message };
  } finally {
    scoped.dispose();
  }
}

/**
 * Probes every `intervalMs` until one answers 200 or `deadlineMs` (epoch ms) passes.
 * Resolves to the last detail and whether the server was healthy.
 */
export async function probeUntilHealthy(
  o: ProbeOptions,
  intervalMs: number,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<{ healthy: boolean; detail: string }> {
  let last = { healthy: false, detail: 'not probed' };
  while (!signal.aborted) {
    last = await probeOnce(o, signal);
    if (last.healthy || Date.now() + intervalMs > deadlineMs) return last;
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      break;
    }
  }
  return last;
}
