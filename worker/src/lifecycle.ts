// What the model log's lines mean (docs/pyworker.md §5): each line is matched, case-sensitively as a substring,
// against on_load, then on_error, then on_info patterns; the first match decides.
//
// on_load (fixed knowingly, pyworker #85): the line counts only once the model server answers its health probe;
// then max_perf (WORKER_PERF, .has_benchmark or the benchmark), then the public key (unless UNSECURED), then
// "loaded". A repeated on_load line (the model server restarted) re-probes and keeps the cached max_perf.
//
// on_error (fixed knowingly, pitfall 2): substring matching also hits handled exceptions ("Error:" is in every
// logged stack), and the PyWorker's error is sticky, so one handled error killed the worker. Our rule, with
// WORKER_ERROR_LINES=probe (the default): an error line is fatal only if the model server is not healthy
// afterwards: after WORKER_ERROR_GRACE_MS we probe it every WORKER_PROBE_INTERVAL_MS until
// WORKER_ERROR_CONFIRM_MS after the line; one 200 means the error was handled (logged as a warning, never
// reported); no 200 in the window (refused, timeout, 503 with cuda_broken) sets error_msg, sticky as in the
// PyWorker, to the pattern and the line. WORKER_ERROR_LINES=sticky restores the PyWorker's rule.

import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { Deadline, sleep, untilAborted } from '../../common/src/deadline.js';
import type { Accounting } from './accounting.js';
import { NO_SUCCESS, readBenchmarkFile, runBenchmark } from './benchmark.js';
import { BenchmarkError } from './errors.js';
import type { WorkerConfig } from './config.js';
import { clientField } from './client-field.js';
import { probeUntilHealthy, type Probe } from './model-probe.js';

export type LineKind = 'load' | 'error' | 'info' | 'none';

export function classifyLine(line: string, p: WorkerConfig['logPatterns']): { kind: LineKind; pattern?: string } {
  for (const [kind, patterns] of [
    ['load', p.onLoad],
    ['error', p.onError],
    ['info', p.onInfo],
  ] as const) {
    const pattern = patterns.find((pat) => line.includes(pat));
    if (pattern !== undefined) return { kind, pattern };
  }
  return { kind: 'none' };
}

const MAX_ERROR_MSG = 500;
/** Characters of a model-log line copied into the worker's log. */
const MAX_LOGGED_LINE = 500;

export interface LifecycleOptions {
  config: WorkerConfig;
  accounting: Accounting;
  dispatcher: Dispatcher;
  /** The model server's health probe (GET {MODEL_SERVER_URL}{WORKER_MODEL_HEALTH_PATH}). */
  probe: Probe;
  log: Logger;
  /** Epoch ms the worker started: loadtime counts from here. */
  startedAt: number;
  /** Resolves with the key, or undefined when its fetch failed; UNSECURED workers never ask. */
  pubkeyReady: () => Promise<KeyObject | undefined>;
  /** Called after each load sequence that ended loaded (probe 200, max_perf, public key). */
  onLoaded?: () => void;
  signal: AbortSignal;
}

/** What the lifecycle has done so far: tests wait for these to move instead of sleeping. */
export interface LifecycleStats {
  /** Readiness probes of the load sequences. */
  loadProbes: number;
  /** Load sequences that ended loaded. */
  loads: number;
  errorLines: number;
  /** Error lines after which the model server stayed healthy. */
  handledErrorLines: number;
  infoLines: number;
}

export class ModelLifecycle {
  private perf: number | undefined;
  private loading: Promise<void> | undefined;
  private loadAgain = false;
  private confirming: Promise<void> | undefined;
  private readonly probe: Probe;
  readonly stats: LifecycleStats = { loadProbes: 0, loads: 0, errorLines: 0, handledErrorLines: 0, infoLines: 0 };

  constructor(private readonly o: LifecycleOptions) {
    this.probe = o.probe;
  }

  onLine(line: string): void {
    const { kind, pattern } = classifyLine(line, this.o.config.logPatterns);
    if (kind === 'load') this.onLoadLine();
    else if (kind === 'error') this.onErrorLine(pattern ?? '', line);
    else if (kind === 'info') {
      this.stats.infoLines++;
      this.o.log.info({ model_log: clientField(line, MAX_LOGGED_LINE) }, 'model log');
    }
  }

  /** Whether a load sequence has ended loaded since the worker started (the health watcher waits for it). */
  get hasLoaded(): boolean {
    return this.stats.loads > 0;
  }

  /** Settles when the load and error handling started so far are done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.loading !== undefined || this.confirming !== undefined) {
      await Promise.all([this.loading, this.confirming]);
    }
  }

  private onLoadLine(): void {
    if (this.loading !== undefined) {
      this.loadAgain = true;
      return;
    }
    this.loading = (async () => {
      do {
        this.loadAgain = false;
        await this.loadSequence();
      } while (this.loadAgain && !this.o.signal.aborted);
    })().finally(() => {
      this.loading = undefined;
    });
  }

  private async loadSequence(): Promise<void> {
    const t = this.o.config.timings;
    const a = this.o.accounting;
    this.o.log.info('model log reports startup; probing the model server');
    const ready = new Deadline(t.readyTimeoutMs, { parents: [this.o.signal], what: 'readiness timeout' });
    const probe = await probeUntilHealthy(this.probe, t.probeIntervalMs, ready, this.o.signal, () => this.stats.loadProbes++).finally(
      () => ready.dispose(),
    );
    if (this.o.signal.aborted) return;
    if (!probe.healthy) {
      a.setError(`Benchmark failed with error: model server not healthy after ${t.readyTimeoutMs / 1000} s (${probe.detail})`);
      return;
    }
    try {
      this.perf ??= await this.maxPerf();
    } catch (err) {
      if (err instanceof BenchmarkError && err.message === NO_SUCCESS) {
        a.setError(NO_SUCCESS);
        a.markLoaded(0, (Date.now() - this.o.startedAt) / 1000);
      } else {
        a.setError(`Benchmark failed with error: ${(err as Error).message}`);
      }
      return;
    }
    if (!this.o.config.unsecured) {
      const wait = new Deadline(t.pubkeyWaitMs, { parents: [this.o.signal], what: 'public key wait' });
      const key = await untilAborted(this.o.pubkeyReady(), wait.signal)
        .catch(() => undefined)
        .finally(() => wait.dispose());
      if (this.o.signal.aborted) return;
      if (key === undefined) {
        a.setError('Benchmark failed with error: the autoscaler public key is not available');
        return;
      }
    }
    a.markLoaded(this.perf, (Date.now() - this.o.startedAt) / 1000);
    // The one way out of "Model server unhealthy": the model server started again and passed the whole sequence.
    if (a.clearHealthError()) this.o.log.info('the model server is back: its health error is cleared');
    this.stats.loads++;
    this.o.onLoaded?.();
    this.o.log.info({ max_perf: this.perf, loadtime: a.loadtime }, 'model loaded');
  }

  private async maxPerf(): Promise<number> {
    const c = this.o.config;
    if (c.workerPerf !== undefined) return c.workerPerf;
    const cached = await readBenchmarkFile(c.benchmarkFile);
    if (cached !== undefined) return cached;
    this.o.log.info({ runs: c.benchmarkRuns, concurrency: c.benchmarkConcurrency }, 'running the benchmark');
    return runBenchmark({
      modelServerUrl: c.modelServerUrl,
      dispatcher: this.o.dispatcher,
      runs: c.benchmarkRuns,
      concurrency: c.benchmarkConcurrency,
      file: c.benchmarkFile,
      log: this.o.log,
    });
  }

  private onErrorLine(pattern: string, line: string): void {
    const a = this.o.accounting;
    this.stats.errorLines++;
    if (a.stickyError !== '') return;
    const msg = `${pattern} (model log: ${line})`.slice(0, MAX_ERROR_MSG);
    if (this.o.config.errorLineRule === 'sticky') {
      this.o.log.error({ model_log: clientField(line, MAX_LOGGED_LINE) }, 'error line in the model log; the worker is now errored');
      a.setError(msg);
      return;
    }
    if (this.confirming !== undefined) return;
    this.o.log.warn({ model_log: clientField(line, MAX_LOGGED_LINE) }, 'error line in the model log; checking whether the model server survived it');
    this.confirming = this.confirm(msg, line).finally(() => {
      this.confirming = undefined;
    });
  }

  private async confirm(msg: string, line: string): Promise<void> {
    const t = this.o.config.timings;
    const window = new Deadline(t.errorConfirmMs, { parents: [this.o.signal], what: 'error confirmation window' });
    let probe;
    try {
      if (!(await sleep(t.errorGraceMs, this.o.signal))) return;
      probe = await probeUntilHealthy(this.probe, t.probeIntervalMs, window, this.o.signal);
    } finally {
      window.dispose();
    }
    if (this.o.signal.aborted) return;
    if (probe.healthy) {
      this.stats.handledErrorLines++;
      this.o.log.warn({ model_log: clientField(line, MAX_LOGGED_LINE) }, 'the model server stayed healthy after the error line: handled, not reported');
      return;
    }
    this.o.log.error({ model_log: clientField(line, MAX_LOGGED_LINE), probe: probe.detail }, 'the model server is not healthy after the error line');
    this.o.accounting.setError(msg);
  }
}
