// The worker's requests to the platform (docs/runpod.md §3, §13 req. 3, 9, 11, 19): take and stop long-polls, and the
// result POSTs (job-stream, job-done) with the SDK's retries and our deviations. Every request carries the raw API
// key; result POSTs keep the SDK's form content type with a JSON body, a `charset` header and the job's own
// X-Request-ID (set per request, never left over from another job). One HttpClient (common's) for all of them;
// each attempt runs under its own Deadline, so that a time-out can be told from a refused or reset connection.
import os from 'node:os';
import { Deadline, DeadlineExceeded } from '../../common/src/deadline.js';
import { isHttpUrl } from '../../common/src/env.js';
import { HttpClient, retry, type Answer } from '../../common/src/http-client.js';
import { clientField } from '../../worker/src/client-field.js';
import { readStopAnswer, readTakeAnswer, type StopAnswer, type TakeAnswer } from './answers.js';
import type { RunpodConfig } from './config.js';
import { encodeBody } from './encode.js';
import type { Logger } from './logger.js';
import type { PlatformUrls } from './urls.js';

export const USER_AGENT = `llama-gpu-bench-runpod (Node ${process.version}; ${os.platform()} ${os.arch()})`;

/** A long-poll that ran out of time (abandoned, then repeated at once). */
export type PollTimeout = { kind: 'timeout' };

export interface PostOutcome {
  ok: boolean;
  attempts: number;
  /** The last answer's status, when there was one. */
  status?: number;
  /** What went wrong last (for the log). */
  detail?: string;
}

/** A failed attempt that may be tried again. */
class Retryable extends Error {}

export class PlatformClient {
  private readonly http: HttpClient;

  constructor(
    private readonly config: RunpodConfig,
    readonly urls: PlatformUrls,
    private readonly log: Logger,
  ) {
    const t = config.timings;
    // Each attempt's own Deadline ends it first; the client's limit is only a backstop.
    this.http = new HttpClient({ timeoutMs: Math.max(t.pollTimeoutMs, t.postTimeoutMs) + 1000, maxAnswerBytes: config.maxJobBytes });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** One job-take long-poll. Throws `signal`'s reason when it aborts. */
  async take(count: number, jobInProgress: boolean, signal: AbortSignal): Promise<TakeAnswer | PollTimeout> {
    const answer = await this.poll(this.urls.takeUrl(count, jobInProgress), signal);
    if ('kind' in answer) return answer;
    return readTakeAnswer(answer);
  }

  /** One job-stop long-poll (the caller checks that the channel exists). Throws `signal`'s reason when it aborts. */
  async stops(signal: AbortSignal): Promise<StopAnswer | PollTimeout> {
    const answer = await this.poll(this.urls.stop as string, signal);
    if ('kind' in answer) return answer;
    return readStopAnswer(answer);
  }

  /** A partial: job-stream {"output": value}, isStream=false. */
  stream(jobId: string, value: unknown, signal: AbortSignal): Promise<PostOutcome> {
    return this.post('job-stream', jobId, this.urls.streamUrl(jobId), { output: value }, signal);
  }

  /** The final body: job-done, isStream as the handler kind says. */
  done(jobId: string, body: Record<string, unknown>, isStream: boolean, signal: AbortSignal): Promise<PostOutcome> {
    return this.post('job-done', jobId, this.urls.doneUrl(jobId, isStream), body, signal);
  }

  private headers(): Record<string, string> {
    return { authorization: this.config.apiKey, 'user-agent': USER_AGENT };
  }

  private async poll(url: string, signal: AbortSignal): Promise<Answer | PollTimeout> {
    const attempt = new Deadline(this.config.timings.pollTimeoutMs, { parents: [signal], what: 'long-poll' });
    try {
      return await this.http.send('GET', url, { headers: this.headers(), signal: attempt.signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof DeadlineExceeded) return { kind: 'timeout' };
      throw err;
    } finally {
      attempt.dispose();
    }
  }

  /**
   * POSTs `body` with the retries of docs/runpod.md §13 req. 9 and 11: a 5xx is tried again after each of
   * postRetryDelaysMs; a refused or reset connection too (nothing was delivered); a time-out only for job-done (a
   * partial may have arrived, and must not arrive twice); a 4xx never. Aborting `signal` ends the retries.
   */
  private async post(what: 'job-stream' | 'job-done', jobId: string, url: string, body: unknown, signal: AbortSignal): Promise<PostOutcome> {
    const { text, nonFinite } = encodeBody(body);
    if (nonFinite > 0) this.log.warn({ requestId: jobId, count: nonFinite }, `${what}: non-finite numbers sent as null`);
    const headers = {
      ...this.headers(),
      'content-type': 'application/x-www-form-urlencoded',
      charset: 'utf-8',
      'x-request-id': jobId,
    };
    const delays = this.config.timings.postRetryDelaysMs;
    const outcome: PostOutcome = { ok: false, attempts: 0 };
    // An unset template (the SDK's literal JOB_DONE_URL) fails every POST at once, as with the SDK: no retries.
    if (!isHttpUrl(url)) {
      this.log.error({ requestId: jobId, url: clientField(url) }, `${what}: the platform's URL template is not an http(s) URL`);
      return { ...outcome, detail: 'not an http(s) URL' };
    }
    try {
      await retry(async (n) => {
        outcome.attempts = n;
        const attempt = new Deadline(this.config.timings.postTimeoutMs, { parents: [signal], what: `${what} attempt` });
        try {
          const answer = await this.http.send('POST', url, { body: text, headers, signal: attempt.signal, statusOnly: true });
          outcome.status = answer.status;
          outcome.ok = answer.status < 400;
          if (answer.status >= 500) throw new Retryable(`HTTP ${answer.status}`);
          if (!outcome.ok) outcome.detail = `HTTP ${answer.status}`;
        } catch (err) {
          if (err instanceof Retryable) throw err;
          if (signal.aborted) throw signal.reason;
          outcome.status = undefined;
          outcome.detail = attempt.expired ? `no answer within ${this.config.timings.postTimeoutMs} ms` : (err as Error).message;
          if (attempt.expired && what === 'job-stream') return;
          throw new Retryable(outcome.detail);
        } finally {
          attempt.dispose();
        }
      }, { attempts: delays.length + 1, delayMs: (n) => delays[n - 1] ?? 0, signal });
    } catch (err) {
      outcome.ok = false;
      outcome.detail = signal.aborted ? `cut short: ${(signal.reason as Error)?.message ?? String(signal.reason)}` : (err as Error).message;
    }
    if (!outcome.ok) {
      this.log.error({ requestId: jobId, attempts: outcome.attempts, status: outcome.status ?? null, detail: clientField(outcome.detail) },
        what === 'job-done' ? 'Failed to return job results.' : 'Failed to stream a partial result; it is dropped.');
    }
    return outcome;
  }
}
