// The job-stop channel (docs/runpod.md §9.2, §13 req. 14): long-polled from the start, idle or not. Each id that is
// the running job's aborts its signal at once (JobStopped); other ids are ignored (at concurrency 1 nothing is
// queued). An answer with ids is followed by the next poll at once, but never sooner than stopPollGapMs after the
// previous one began; an answer without ids or an error waits stopPollGapMs; a 429 waits rateLimitWaitMs.
import { sleep } from '../../common/src/deadline.js';
import { clientField } from '../../worker/src/client-field.js';
import type { RunpodTimings } from './config.js';
import type { Logger } from './logger.js';
import type { PlatformClient } from './platform-client.js';

/** Called with each id the platform wants stopped. */
export type OnStop = (id: string) => void;

export async function runStopChannel(platform: PlatformClient, t: RunpodTimings, log: Logger, onStop: OnStop,
  signal: AbortSignal): Promise<void> {
  if (platform.urls.stop === undefined) {
    log.warn('RUNPOD_WEBHOOK_GET_JOB has no /job-take/ segment: no job-stop channel');
    return;
  }
  while (!signal.aborted) {
    const began = performance.now();
    let answer: Awaited<ReturnType<PlatformClient['stops']>>;
    try {
      answer = await platform.stops(signal);
    } catch (err) {
      if (signal.aborted) return;
      answer = { kind: 'error', detail: (err as Error).message };
    }
    switch (answer.kind) {
      case 'ids':
        for (const id of answer.ids) onStop(id);
        await sleep(began + t.stopPollGapMs - performance.now(), signal);
        break;
      case 'timeout':
        break;
      case 'none':
        log.trace({ why: answer.why }, 'job-stop: nothing to stop');
        await sleep(t.stopPollGapMs, signal);
        break;
      case 'rate-limited':
        await sleep(t.rateLimitWaitMs, signal);
        break;
      case 'error':
        log.warn({ detail: clientField(answer.detail) }, 'job-stop poll failed');
        await sleep(t.stopPollGapMs, signal);
        break;
    }
  }
}
