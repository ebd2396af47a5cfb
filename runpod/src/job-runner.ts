// One job through a streaming handler (docs/runpod.md §5.2, §6, §7, §13 req. 8–12, 14, 23): each value the handler
// yields is sent as a partial, in order, the next value pulled only once that send is over (the SDK's
// back-pressure); a value with a truthy `error` ends the job with {"error": msg} (its other fields go to the log);
// an exception ends it with {"error": "handler: <message> \ntraceback: <stack>"}; otherwise the final body holds
// every partial. A stop from the platform (JobStopped) ends it with no final body at all; a shutdown
// (WorkerShutdown) with what was aggregated. Either way the handler's iterator is closed, and its cleanup awaited
// (bounded), before the runner returns: the next job starts on free devices.
import { Deadline, untilAborted } from '../../common/src/deadline.js';
import { clientField } from '../../worker/src/client-field.js';
import type { Job } from './answers.js';
import { JobStopped } from './errors.js';
import { isObject, pyTruthy } from './json-values.js';
import type { Logger } from './logger.js';
import { NotSerializable } from './encode.js';

/** A streaming handler: the whole job, and a signal that aborts when the job must end (JobStopped, WorkerShutdown). */
export type Handler = (job: Job, signal: AbortSignal) => AsyncIterable<unknown>;

/** Where a job's results go: the platform (job-stream, job-done) or, in local mode, stdout. */
export interface ResultSink {
  /** One partial; resolves when it has been delivered or given up on. Throws NotSerializable. */
  stream(job: Job, value: unknown, signal: AbortSignal): Promise<unknown>;
  /** The final body; `signal` bounds it (the shutdown grace). Throws NotSerializable. */
  done(job: Job, body: Record<string, unknown>, signal: AbortSignal): Promise<{ ok: boolean }>;
}

export interface RunnerOptions {
  handler: Handler;
  sink: ResultSink;
  log: Logger;
  returnAggregateStream: boolean;
  /** Every final body carries "stopPod": true (refresh_worker). */
  refreshWorker: boolean;
  /** How long the handler's cleanup may take once its iterator is closed. */
  cleanupMs: number;
}

export type JobOutcome = 'completed' | 'failed' | 'stopped' | 'shutdown';

export interface JobResult {
  outcome: JobOutcome;
  /** The final body sent (none when stopped). */
  body?: Record<string, unknown>;
  /** An error partial said "fatal": true: the worker must be replaced. */
  fatal: boolean;
  partials: number;
}

export class JobRunner {
  constructor(private readonly o: RunnerOptions) {}

  /**
   * Runs `job` until its handler ends or `control` aborts. `hardStop` bounds the cleanup and the final body (it
   * aborts when the shutdown grace has run out).
   */
  async run(job: Job, control: AbortSignal, hardStop: AbortSignal): Promise<JobResult> {
    const log = this.o.log.child({ requestId: clientField(job.id) });
    const started = performance.now();
    const aggregate: unknown[] = [];
    let partials = 0;
    let final: Record<string, unknown> | undefined;
    let fatal = false;
    const iterator = this.o.handler(job, control)[Symbol.asyncIterator]();
    try {
      while (!control.aborted) {
        let step: IteratorResult<unknown>;
        try {
          step = await untilAborted(iterator.next(), control);
        } catch (err) {
          if (control.aborted) break;
          log.error({ err }, 'the handler failed');
          const e = err instanceof Error ? err : new Error(String(err));
          final = { error: `handler: ${e.message} \ntraceback: ${e.stack ?? ''}` };
          break;
        }
        if (step.done) {
          final = { output: this.o.returnAggregateStream ? aggregate : [] };
          break;
        }
        const value = step.value;
        if (isObject(value) && pyTruthy(value.error)) {
          final = { error: typeof value.error === 'string' ? value.error : JSON.stringify(value.error) };
          fatal = value.fatal === true;
          log.warn({ detail: clientField(value.error, 500), error_type: clientField(value.error_type), code: clientField(value.code),
            fatal }, 'the job ends with an error');
          break;
        }
        aggregate.push(value);
        partials += 1;
        await this.stream(job, value, control, log);
      }
    } finally {
      await this.cleanup(iterator, hardStop, log);
    }
    if (control.aborted && control.reason instanceof JobStopped) {
      log.info({ partials, seconds: seconds(started) }, 'Job stopped.');
      return { outcome: 'stopped', fatal: false, partials };
    }
    const outcome: JobOutcome = final === undefined ? 'shutdown' : 'error' in final ? 'failed' : 'completed';
    final ??= { output: this.o.returnAggregateStream ? aggregate : [] };
    if (this.o.refreshWorker) final.stopPod = true;
    const body = await this.done(job, final, hardStop, log);
    log.info({ outcome, partials, seconds: seconds(started), fatal }, 'job ended');
    return { outcome, body, fatal, partials };
  }

  private async stream(job: Job, value: unknown, control: AbortSignal, log: Logger): Promise<void> {
    try {
      await this.o.sink.stream(job, value, control);
    } catch (err) {
      if (!(err instanceof NotSerializable)) throw err;
      log.warn({ err }, 'a partial that cannot be sent is dropped');
    }
  }

  /** Sends the final body; one that cannot be serialised is replaced by the error that says so. */
  private async done(job: Job, body: Record<string, unknown>, hardStop: AbortSignal, log: Logger): Promise<Record<string, unknown>> {
    try {
      await this.o.sink.done(job, body, hardStop);
      return body;
    } catch (err) {
      if (!(err instanceof NotSerializable)) throw err;
      log.error({ err }, 'the final body cannot be sent; an error is sent instead');
      const replaced: Record<string, unknown> = { error: err.message, ...(body.stopPod === true ? { stopPod: true } : {}) };
      await this.o.sink.done(job, replaced, hardStop);
      return replaced;
    }
  }

  /** Closes the handler's iterator and waits for its cleanup, within cleanupMs (and before `hardStop`). */
  private async cleanup(iterator: AsyncIterator<unknown>, hardStop: AbortSignal, log: Logger): Promise<void> {
    const bound = new Deadline(this.o.cleanupMs, { parents: [hardStop], what: 'handler cleanup' });
    try {
      await untilAborted(Promise.resolve(iterator.return?.()), bound.signal);
    } catch (err) {
      if (bound.expired) log.warn({ cleanupMs: this.o.cleanupMs }, 'the handler did not finish its cleanup in time');
      else if (!hardStop.aborted) log.warn({ err }, 'the handler failed while cleaning up');
    } finally {
      bound.dispose();
    }
  }
}

function seconds(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}
