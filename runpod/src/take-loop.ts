// Taking jobs (docs/runpod.md §4, §13 req. 6): long-poll job-take until jobs come. An empty answer (204, 400, no
// JSON, no job) is polled again at once, but never sooner than emptyPollGapMs after the previous poll began; a
// 429 waits rateLimitWaitMs; an error (another status ≥ 400, a network error, an object without id or input)
// backs off 1, 2, 4 ... 30 s with jitter, reset by any answer that is not an error (the SDK spins); a poll with no
// answer within pollTimeoutMs is dropped and repeated.
import { sleep } from '../../common/src/deadline.js';
import { clientField } from '../../worker/src/client-field.js';
import type { Job } from './answers.js';
import type { RunpodTimings } from './config.js';
import type { Logger } from './logger.js';
import type { PlatformClient } from './platform-client.js';

/** The wait after the `failures`-th error in a row: doubling from backoffMs, capped, ±25% jitter. */
export function backoffDelay(t: Pick<RunpodTimings, 'backoffMs' | 'backoffMaxMs'>, failures: number, random = Math.random): number {
  const base = Math.min(t.backoffMaxMs, t.backoffMs * 2 ** Math.min(30, failures - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** Polls until jobs come (resolves with them) or `signal` aborts (resolves with none). */
export async function takeJobs(platform: PlatformClient, t: RunpodTimings, log: Logger, signal: AbortSignal): Promise<Job[]> {
  let failures = 0;
  while (!signal.aborted) {
    const began = performance.now();
    let answer: Awaited<ReturnType<PlatformClient['take']>>;
    try {
      answer = await platform.take(1, false, signal);
    } catch (err) {
      if (signal.aborted) break;
      answer = { kind: 'error', detail: (err as Error).message };
    }
    switch (answer.kind) {
      case 'jobs':
        if (answer.dropped > 0) log.warn({ dropped: answer.dropped }, 'list elements without id or input ignored');
        for (const job of answer.jobs) log.info({ requestId: clientField(job.id) }, 'job taken');
        return answer.jobs;
      case 'timeout':
        log.debug({ pollTimeoutMs: t.pollTimeoutMs }, 'job-take: no answer in time; polling again');
        failures = 0;
        break;
      case 'empty':
        failures = 0;
        await sleep(began + t.emptyPollGapMs - performance.now(), signal);
        break;
      case 'rate-limited':
        log.warn({ waitMs: t.rateLimitWaitMs }, 'job-take: rate limited (429)');
        await sleep(t.rateLimitWaitMs, signal);
        break;
      case 'error': {
        failures += 1;
        const waitMs = backoffDelay(t, failures);
        log.warn({ detail: clientField(answer.detail), failures, waitMs }, 'Failed to get job.');
        await sleep(waitMs, signal);
        break;
      }
    }
  }
  return [];
}
