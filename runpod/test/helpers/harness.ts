// The protocol layer in the test's own process: a RunpodWorker with a handler the test passes in (one that counts
// its pulls, blocks, throws ...), against the stand-in platform on loopback, every wait scaled down. Its log lines
// are kept as parsed JSON, and tests wait for them (or for the stand-in's records), never for a clock.
import { loadConfig, type RunpodConfig } from '../../src/config.js';
import type { Handler, JobResult } from '../../src/job-runner.js';
import { runpodLogger } from '../../src/logger.js';
import { RunpodWorker } from '../../src/worker.js';
import type { Job } from '../../src/answers.js';
import { StandInPlatform } from '../../stand-in/platform.js';

/** The protocol's waits, scaled down (the defaults are the spec's: docs/runpod.md §13). */
export const FAST: Record<string, string> = {
  RUNPOD_WORKER_POLL_TIMEOUT_MS: '3000',
  RUNPOD_WORKER_EMPTY_POLL_GAP_MS: '100',
  RUNPOD_WORKER_RATE_LIMIT_WAIT_MS: '500',
  RUNPOD_WORKER_BACKOFF_MS: '100',
  RUNPOD_WORKER_BACKOFF_MAX_MS: '400',
  RUNPOD_WORKER_STOP_POLL_GAP_MS: '50',
  RUNPOD_WORKER_POST_TIMEOUT_MS: '3000',
  RUNPOD_WORKER_POST_RETRY_DELAYS_MS: '200,300',
  RUNPOD_WORKER_STOP_CLEANUP_MS: '3000',
  RUNPOD_WORKER_SHUTDOWN_GRACE_MS: '2000',
  RUNPOD_WORKER_PROBE_INTERVAL_MS: '50',
  RUNPOD_LOG_LEVEL: 'DEBUG',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LogLine = Record<string, any> & { message: string; time: number };

/** Log lines as written, parsed; waitFor resolves on the first that matches, logged already or later. */
export class LogLines {
  readonly lines: LogLine[] = [];
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  readonly write = (text: string): void => {
    if (process.env.RUNPOD_TEST_LOG) process.stderr.write(`${text}\n`);
    const line = JSON.parse(text) as LogLine;
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => !(w.match(line) && (w.resolve(line), true)));
  };

  waitFor(match: (l: LogLine) => boolean, ms = 20_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${ms} ms; last: ${JSON.stringify(this.lines.slice(-5))}`)), ms);
      this.waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  messages(): string[] {
    return this.lines.map((l) => l.message);
  }
}

export interface TestWorker {
  worker: RunpodWorker;
  config: RunpodConfig;
  logs: LogLines;
  results: { job: Job; result: JobResult }[];
  /** The exit status run() resolved with. */
  status: Promise<number>;
  /** As SIGTERM does: resolves with the exit status. */
  stop(): Promise<number>;
}

export function startWorker(platform: StandInPlatform, handler: Handler, env: Record<string, string> = {}): TestWorker {
  const config = loadConfig({ ...platform.env(), ...FAST, ...env });
  const logs = new LogLines();
  const log = runpodLogger({ level: config.logLevel, json: true, write: logs.write });
  const results: TestWorker['results'] = [];
  const worker = new RunpodWorker({ config, handler, log, onJobEnd: (job, result) => results.push({ job, result }) });
  const stopping = new AbortController();
  const status = worker.run(stopping.signal);
  return {
    worker, config, logs, results, status,
    stop: () => {
      stopping.abort('SIGTERM');
      return status;
    },
  };
}

/** A streaming handler that yields `values` in order and counts what happens to it. */
export class ScriptedHandler {
  pulls = 0;
  finallyRan = 0;
  abortedAt: number | undefined;

  constructor(private readonly values: (job: Job) => unknown[]) {}

  readonly handler: Handler = (job, signal) => this.run(job, signal);

  private async *run(job: Job, signal: AbortSignal): AsyncGenerator<unknown> {
    signal.addEventListener('abort', () => (this.abortedAt = Date.now()), { once: true });
    try {
      for (const v of this.values(job)) {
        this.pulls += 1;
        yield v;
      }
    } finally {
      this.finallyRan += 1;
    }
  }
}

/** A stand-in platform on loopback for one test, closed with it. */
export async function standIn(t: { teardown(fn: () => unknown): void }, holdMs = 200): Promise<StandInPlatform> {
  const p = await new StandInPlatform({ holdMs }).listen();
  t.teardown(() => p.close());
  return p;
}
