// Watching the model server once it has loaded: GET {MODEL_SERVER_URL}{health path} every WORKER_HEALTH_INTERVAL_MS
// (0: never). After WORKER_HEALTH_FAILURES probes in a row without a 200 (a refused connection: the process is
// gone; a timeout; our model server's 503 with cuda_broken) error_msg becomes "Model server unhealthy: <detail>
// (<N> failed probes)" and a report is due, so the autoscaler stops routing to a worker whose model server died
// without a word in its log.
//
// Before the first successful load sequence failures are ignored, as the PyWorker ignores its healthcheck's
// failures before the first success: the model server is still starting, and the load sequence has its own limit.
// Unlike the errors of the log, this one is not sticky, and yet a single 200 does not clear it: only a fresh
// on_load line whose load sequence succeeds does (lifecycle.ts). Readiness is then announced one way, with the
// same checks as at boot, and a server that flaps does not toggle the reported state probe by probe.

import type { Logger } from 'pino';
import { sleep } from '../../common/src/deadline.js';
import type { Accounting } from './accounting.js';
import { probeOnce, type Probe } from './model-probe.js';

/** Characters of a probe's detail kept in error_msg (the detail is our own text, never the answer's). */
const MAX_DETAIL = 200;

export interface HealthWatchOptions {
  probe: Probe;
  /** Between the starts of two probes; 0 disables the watcher. */
  intervalMs: number;
  /** Consecutive failed probes that make the model server unhealthy. */
  failures: number;
  accounting: Accounting;
  /** Whether a load sequence has succeeded yet. */
  isLoaded: () => boolean;
  log: Logger;
}

/** What the watcher has done: tests wait for these to move instead of sleeping. */
export interface HealthWatchStats {
  /** Ticks before the first successful load: no probe was sent. */
  skipped: number;
  healthy: number;
  failed: number;
}

export function unhealthyMessage(detail: string, failedProbes: number): string {
  const d = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
  return `Model server unhealthy: ${d} (${failedProbes} failed probes)`;
}

export class HealthWatcher {
  private consecutive = 0;
  readonly stats: HealthWatchStats = { skipped: 0, healthy: 0, failed: 0 };

  constructor(private readonly o: HealthWatchOptions) {}

  /** A load sequence succeeded: failures are counted afresh. */
  reset(): void {
    this.consecutive = 0;
  }

  /** Probes on a fixed cadence until `signal` aborts (a probe longer than the interval starts the next at once). */
  async run(signal: AbortSignal): Promise<void> {
    if (this.o.intervalMs <= 0) return;
    let next = performance.now() + this.o.intervalMs;
    while (await sleep(next - performance.now(), signal)) {
      await this.check(signal);
      next = Math.max(next + this.o.intervalMs, performance.now());
    }
  }

  private async check(signal: AbortSignal): Promise<void> {
    if (!this.o.isLoaded()) {
      this.stats.skipped++;
      return;
    }
    const probe = await probeOnce(this.o.probe, signal);
    if (signal.aborted) return;
    if (probe.healthy) {
      this.consecutive = 0;
      this.stats.healthy++;
      return;
    }
    this.consecutive++;
    this.stats.failed++;
    const a = this.o.accounting;
    if (this.consecutive < this.o.failures) {
      this.o.log.warn({ probe: probe.detail, failed_probes: this.consecutive }, 'model server health probe failed');
    } else if (a.healthError === '') {
      a.setHealthError(unhealthyMessage(probe.detail, this.consecutive));
      this.o.log.error({ probe: probe.detail, failed_probes: this.consecutive }, 'the model server is unhealthy; reporting it');
    }
  }
}
