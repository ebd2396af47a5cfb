// Asking the model server whether it is up: GET {MODEL_SERVER_URL}{health path} answering 200 (our model server's
// /health answers 503 with cuda_broken once its GPU is unusable, and nothing at all when its process is gone).

import { request, type Dispatcher } from 'undici';
import { readCapped } from '../../common/src/body-cap.js';
import { Deadline, sleep } from '../../common/src/deadline.js';

export interface ProbeOptions {
  modelServerUrl: string;
  healthPath: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
}

export interface ProbeResult {
  healthy: boolean;
  /** Our own words for what happened ("HTTP 503, cuda_broken", the connection error): never the answer's text. */
  detail: string;
}

/** A health answer is a few dozen bytes; more is read no further. */
const MAX_HEALTH_ANSWER = 4096;

/** One probe, bounded by the probe timeout (and `signal`). */
export async function probeOnce(o: ProbeOptions, signal?: AbortSignal): Promise<ProbeResult> {
  const limit = new Deadline(o.timeoutMs, { parents: [signal], what: 'probe timeout' });
  try {
    const res = await request(`${o.modelServerUrl}${o.healthPath}`, {
      method: 'GET',
      dispatcher: o.dispatcher,
      signal: limit.signal,
      reset: true,
    });
    if (res.statusCode === 200) {
      await res.body.dump();
      return { healthy: true, detail: 'HTTP 200' };
    }
    const broken = await cudaBroken(res.body);
    return { healthy: false, detail: `HTTP ${res.statusCode}${broken ? ', cuda_broken' : ''}` };
  } catch (err) {
    return { healthy: false, detail: (err as Error).message };
  } finally {
    limit.dispose();
  }
}

async function cudaBroken(body: AsyncIterable<Uint8Array> & { destroy?(): unknown }): Promise<boolean> {
  try {
    const answer: unknown = JSON.parse((await readCapped(body, MAX_HEALTH_ANSWER)).toString('utf8'));
    return typeof answer === 'object' && answer !== null && (answer as { cuda_broken?: unknown }).cuda_broken === true;
  } catch {
    return false;
  }
}

/**
 * Probes every `intervalMs` until one answers 200 or `deadline` runs out (or `signal` aborts); `onResult` sees
 * every probe. Resolves to the last result.
 */
export async function probeUntilHealthy(
  o: ProbeOptions,
  intervalMs: number,
  deadline: Deadline,
  signal: AbortSignal,
  onResult?: (r: ProbeResult) => void,
): Promise<ProbeResult> {
  let last: ProbeResult = { healthy: false, detail: 'not probed' };
  while (!signal.aborted) {
    last = await probeOnce(o, deadline.signal);
    onResult?.(last);
    if (last.healthy || deadline.remaining() < intervalMs) return last;
    if (!(await sleep(intervalMs, signal))) break;
  }
  return last;
}
