// Asking the model server whether it is up: GET {MODEL_SERVER_URL}{health path} answering 200 (our model server's
// /health answers 503 with cuda_broken once its GPU is unusable, and nothing at all when its process is gone).

import { Deadline, sleep } from '../../common/src/deadline.js';
import { HttpClient } from '../../common/src/http-client.js';

/** A health answer is a few dozen bytes; more is read no further. */
const MAX_HEALTH_ANSWER = 4096;

/** Where and how to probe: `GET url`, each probe on a fresh connection, bounded by the probe timeout. */
export class Probe {
  readonly http: HttpClient;

  constructor(readonly url: string, timeoutMs: number) {
    this.http = new HttpClient({ timeoutMs, maxAnswerBytes: MAX_HEALTH_ANSWER });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

export interface ProbeResult {
  healthy: boolean;
  /** Our own words for what happened ("HTTP 503, cuda_broken", the connection error): never the answer's text. */
  detail: string;
}

/** One probe, bounded by the probe timeout (and `signal`). */
export async function probeOnce(probe: Probe, signal?: AbortSignal): Promise<ProbeResult> {
  try {
    const { status, body } = await probe.http.send('GET', probe.url, { signal, fresh: true });
    if (status === 200) return { healthy: true, detail: 'HTTP 200' };
    return { healthy: false, detail: `HTTP ${status}${cudaBroken(body) ? ', cuda_broken' : ''}` };
  } catch (err) {
    return { healthy: false, detail: (err as Error).message };
  }
}

function cudaBroken(body: Buffer): boolean {
  try {
    const answer: unknown = JSON.parse(body.toString('utf8'));
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
  o: Probe,
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
