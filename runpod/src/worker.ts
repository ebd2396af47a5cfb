// The Runpod worker in platform mode (docs/runpod.md §1, §13): the heartbeat thread (first ping before the first
// take), then the job-stop channel and the take loop side by side. Concurrency is 1: a job is taken, run to its
// job-done, and only then is the next one asked for; while it runs the pings list its id. The handler is a
// parameter, so the protocol can be exercised with any handler (the application's is handler.ts).
//
// Shutdown (`stopping` aborts: SIGTERM, SIGINT): no more takes, the open long-polls are aborted, the running job is
// cancelled (WorkerShutdown) and its job-done, with what was aggregated, must go within shutdownGraceMs. A job
// whose error partial says "fatal" ends the worker with status 1 once its job-done was tried, so that the
// platform replaces it; with refresh_worker the worker ends after its first job.
import { Deadline } from '../../common/src/deadline.js';
import { clientField } from '../../worker/src/client-field.js';
import type { Job } from './answers.js';
import type { RunpodConfig } from './config.js';
import { JobStopped, WorkerShutdown } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { JobRunner, type Handler, type JobResult } from './job-runner.js';
import type { Logger } from './logger.js';
import { PlatformClient } from './platform-client.js';
import { runStopChannel } from './stop-channel.js';
import { takeJobs } from './take-loop.js';
import { PlatformUrls } from './urls.js';

export interface WorkerOptions {
  config: RunpodConfig;
  handler: Handler;
  log: Logger;
  /** Resolves once the handler can run jobs (the model server answers); runs after the first ping, before the
   *  first take. Rejecting ends the worker with status 1. */
  ready?: (signal: AbortSignal) => Promise<void>;
  /** Each job's result, as it ends (tests, the local mode's printer). */
  onJobEnd?: (job: Job, result: JobResult) => void;
}

interface Running {
  job: Job;
  control: AbortController;
}

export class RunpodWorker {
  readonly platform: PlatformClient;
  private running: Running | undefined;
  private heartbeat: Heartbeat | undefined;

  constructor(private readonly o: WorkerOptions) {
    this.platform = new PlatformClient(o.config, new PlatformUrls(o.config.templates, o.config.workerId), o.log);
  }

  /** Runs until `stopping` aborts, a fatal job, or refresh_worker; resolves with the exit status. */
  async run(stopping: AbortSignal): Promise<number> {
    const { config, log } = this.o;
    const t = config.timings;
    // Ends the loops when the worker ends for any reason; `hardStop` when the shutdown grace has run out.
    const ending = new AbortController();
    const hardStop = new AbortController();
    let grace: Deadline | undefined;
    const onStopping = (): void => {
      log.info({ graceMs: t.shutdownGraceMs, running: this.running === undefined ? null : clientField(this.running.job.id) },
        'shutting down: no more jobs; the running one is cancelled');
      ending.abort(stopping.reason);
      this.running?.control.abort(new WorkerShutdown());
      grace = new Deadline(t.shutdownGraceMs, { what: 'shutdown grace' });
      grace.signal.addEventListener('abort', () => hardStop.abort(grace?.signal.reason), { once: true });
    };
    if (stopping.aborted) onStopping();
    else stopping.addEventListener('abort', onStopping, { once: true });

    log.info({ workerId: clientField(config.workerId), endpoint: config.endpointId ?? null, concurrency: config.concurrency },
      'runpod worker started');
    this.heartbeat = Heartbeat.start(config, this.platform.urls.ping, log);
    await this.heartbeat?.firstPingWithin(t.firstPingWaitMs, ending.signal);
    const stops = runStopChannel(this.platform, t, log, (id) => this.stop(id), ending.signal);
    let status = 0;
    try {
      await this.o.ready?.(ending.signal);
      status = await this.loop(ending.signal, hardStop.signal);
    } catch (err) {
      if (!ending.signal.aborted) {
        log.error({ err }, 'the worker cannot run jobs');
        status = 1;
      }
    } finally {
      stopping.removeEventListener('abort', onStopping);
      ending.abort();
      await stops;
      await this.heartbeat?.stop();
      await this.platform.close();
      grace?.dispose();
    }
    log.info({ status }, 'runpod worker stopped');
    return status;
  }

  private async loop(ending: AbortSignal, hardStop: AbortSignal): Promise<number> {
    const { config, log } = this.o;
    const runner = new JobRunner({
      handler: this.o.handler,
      sink: {
        stream: (job, value, signal) => this.platform.stream(job.id, value, signal),
        done: (job, body, signal) => this.platform.done(job.id, body, true, signal),
      },
      log,
      returnAggregateStream: config.returnAggregateStream,
      refreshWorker: config.refreshWorker,
      cleanupMs: config.timings.stopCleanupMs,
    });
    while (!ending.aborted) {
      for (const job of await takeJobs(this.platform, config.timings, log, ending)) {
        const result = await this.runOne(runner, job, ending, hardStop);
        if (result.fatal) {
          log.error({ requestId: clientField(job.id) }, 'a fatal error: the worker exits so that the platform replaces it');
          return 1;
        }
        if (config.refreshWorker) {
          log.info('refresh_worker: the worker exits after its job');
          return 0;
        }
      }
    }
    return 0;
  }

  private async runOne(runner: JobRunner, job: Job, ending: AbortSignal, hardStop: AbortSignal): Promise<JobResult> {
    const control = new AbortController();
    if (ending.aborted) control.abort(new WorkerShutdown());
    this.running = { job, control };
    this.heartbeat?.setJobs([job.id]);
    try {
      const result = await runner.run(job, control.signal, hardStop);
      this.o.onJobEnd?.(job, result);
      return result;
    } finally {
      this.running = undefined;
      this.heartbeat?.setJobs([]);
    }
  }

  private stop(id: string): void {
    const running = this.running;
    if (running === undefined || running.job.id !== id) {
      this.o.log.debug({ requestId: clientField(id) }, 'job-stop for a job this worker does not run: ignored');
      return;
    }
    this.o.log.info({ requestId: clientField(id) }, 'Stopping job.');
    running.control.abort(new JobStopped());
  }
}
