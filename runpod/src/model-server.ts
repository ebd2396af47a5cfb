// The model server as the Runpod handler sees it (docs/model-server.md): is it up (GET /health answers 200), is a job
// still holding its devices (GET /metrics: lgb_job_running), and a job's NDJSON stream. Jobs go over their own
// undici agent with no headers or body timeout (a /generate runs for minutes); probes over common's HttpClient,
// each bounded.
import { Agent, request, type Dispatcher } from 'undici';
import { readCapped } from '../../common/src/body-cap.js';
import { Deadline, sleep } from '../../common/src/deadline.js';
import { HttpClient } from '../../common/src/http-client.js';
import type { RunpodTimings } from './config.js';
import { ModelServerNotReady } from './errors.js';

/** /metrics of an idle server is a few KiB. */
const MAX_PROBE_ANSWER = 1024 * 1024;
/** First and last wait between retries of a 503 {"error": "busy"}. */
const BUSY_FIRST_MS = 50;
const BUSY_MAX_MS = 1000;

export type JobAnswer =
  | { kind: 'stream'; body: Dispatcher.ResponseData['body'] }
  | { kind: 'refused'; status: number; text: string };

export type ProbeTimings = Pick<RunpodTimings, 'readyTimeoutMs' | 'probeIntervalMs' | 'probeTimeoutMs' | 'busyRetryMs'>;

/** Whether a /metrics text shows a job holding the devices (lgb_job_running{kind="..."} 1). */
export function jobRunning(metrics: string): boolean {
  return /^lgb_job_running\{[^}]*\} [1-9]/m.test(metrics);
}

export class ModelServer {
  private readonly probes: HttpClient;
  private readonly jobs: Agent;
  /** Aborts waits in progress when the worker closes. */
  private readonly closing = new AbortController();

  constructor(readonly url: string, private readonly t: ProbeTimings) {
    this.probes = new HttpClient({ timeoutMs: t.probeTimeoutMs, maxAnswerBytes: MAX_PROBE_ANSWER });
    this.jobs = new Agent({ headersTimeout: 0, bodyTimeout: 0, connectTimeout: 10_000 });
  }

  /** One health probe: undefined when healthy, else what went wrong. */
  async unhealthy(signal?: AbortSignal): Promise<string | undefined> {
    try {
      const { status } = await this.probes.send('GET', `${this.url}/health`, { signal, statusOnly: true, fresh: true });
      return status === 200 ? undefined : `GET /health answered ${status}`;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      return (err as Error).message;
    }
  }

  /** Probes until healthy; throws ModelServerNotReady after readyTimeoutMs, or `signal`'s reason. */
  async waitReady(signal: AbortSignal): Promise<void> {
    const limit = new Deadline(this.t.readyTimeoutMs, { parents: [signal] });
    try {
      for (;;) {
        const problem = await this.unhealthy(limit.signal).catch(() => 'no answer in time');
        if (problem === undefined) return;
        if (signal.aborted) throw signal.reason;
        if (limit.expired || !(await sleep(this.t.probeIntervalMs, limit.signal))) {
          if (signal.aborted) throw signal.reason;
          throw new ModelServerNotReady(this.url, problem);
        }
      }
    } finally {
      limit.dispose();
    }
  }

  /** Waits until no job holds the devices (true; also when the model server is gone), or `ms` passed or the
   *  worker closes (false). */
  async waitIdle(ms: number): Promise<boolean> {
    const limit = new Deadline(ms, { parents: [this.closing.signal] });
    try {
      while (!limit.signal.aborted) {
        const answer = await this.probes.send('GET', `${this.url}/metrics`, { signal: limit.signal }).catch((err: unknown) => err as Error);
        if (answer instanceof Error) {
          if (!limit.signal.aborted) return true;
        } else if (answer.status === 200 && !jobRunning(answer.body.toString('utf8'))) {
          return true;
        }
        if (!(await sleep(this.t.probeIntervalMs, limit.signal))) break;
      }
      return false;
    } finally {
      limit.dispose();
    }
  }

  /**
   * POSTs a job: its stream (a 200), or the refusal's status and text. A 503 {"error": "busy"} (the previous job
   * still finishing its batch) is tried again for busyRetryMs.
   */
  async open(path: string, body: unknown, signal: AbortSignal): Promise<JobAnswer> {
    const retryUntil = performance.now() + this.t.busyRetryMs;
    for (let wait = BUSY_FIRST_MS; ; wait = Math.min(2 * wait, BUSY_MAX_MS)) {
      const res = await request(`${this.url}${path}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
        dispatcher: this.jobs, signal,
      });
      if (res.statusCode === 200) return { kind: 'stream', body: res.body };
      const text = (await readCapped(res.body, MAX_PROBE_ANSWER).catch(() => Buffer.alloc(0))).toString('utf8');
      if (res.statusCode !== 503 || !isBusy(text) || performance.now() >= retryUntil) return { kind: 'refused', status: res.statusCode, text };
      if (!(await sleep(Math.min(wait, retryUntil - performance.now()), signal))) throw signal.reason;
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all([this.probes.close(), this.jobs.close()]);
  }
}

function isBusy(text: string): boolean {
  try {
    return (JSON.parse(text) as { error?: unknown }).error === 'busy';
  } catch {
    return false;
  }
}
