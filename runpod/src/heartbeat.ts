// The main thread's side of the heartbeat (docs/runpod.md §8, §13 req. 5): starts the ping thread when the API key,
// the pod id and the ping URL are all there (as the SDK does), tells it the jobs in progress through the shared
// list, relays its log lines, and stops it with the worker. A thread cannot outlive its process, so no ping
// outlives the worker (the SDK's ping process could, after a SIGKILL).
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { anySignal, sleep } from '../../common/src/deadline.js';
import type { RunpodConfig } from './config.js';
import type { HeartbeatData, HeartbeatMessage } from './heartbeat-thread.js';
import { SharedJobIds } from './job-ids.js';
import type { Logger } from './logger.js';
import { USER_AGENT } from './platform-client.js';

const THREAD = path.join(__dirname, 'heartbeat-thread.js');
/** How long a stopping thread may take to close its connections before it is terminated. */
const STOP_WAIT_MS = 1000;

export class Heartbeat {
  private readonly ids = new SharedJobIds();
  private readonly thread: Worker;
  private readonly exited: Promise<void>;
  private firstPing!: () => void;
  private readonly pinged = new Promise<void>((resolve) => (this.firstPing = resolve));

  private constructor(data: Omit<HeartbeatData, 'buffer'>, private readonly log: Logger) {
    this.thread = new Worker(THREAD, { workerData: { ...data, buffer: this.ids.buffer } satisfies HeartbeatData });
    this.thread.on('message', (m: HeartbeatMessage) => {
      if (m.type === 'pinged') this.firstPing();
      else this.log[m.level](m.fields, m.msg);
    });
    this.thread.on('error', (err) => {
      this.firstPing();
      this.log.error({ err }, 'the heartbeat thread failed: no more pings');
    });
    this.exited = new Promise((resolve) => this.thread.once('exit', () => resolve()));
  }

  /** The heartbeat, or undefined (logged) when the platform did not give what a ping needs. */
  static start(config: RunpodConfig, pingBase: string | undefined, log: Logger): Heartbeat | undefined {
    const missing = [
      ...(config.apiKey === '' ? ['RUNPOD_AI_API_KEY'] : []),
      ...(config.podIdGiven ? [] : ['RUNPOD_POD_ID']),
      ...(pingBase === undefined ? ['RUNPOD_WEBHOOK_PING'] : []),
    ];
    if (pingBase === undefined || missing.length > 0) {
      log.error({ missing }, 'no heartbeat: the platform did not set what a ping needs');
      return undefined;
    }
    const t = config.timings;
    return new Heartbeat({ url: pingBase, apiKey: config.apiKey, userAgent: USER_AGENT, version: config.sdkVersion,
      intervalMs: t.pingIntervalMs, retryDelaysMs: t.pingRetryDelaysMs }, log);
  }

  /** Resolves after the first ping ended (whatever its outcome), after `ms`, or once `signal` aborts. */
  async firstPingWithin(ms: number, signal: AbortSignal): Promise<void> {
    // Ending the wait also clears its timer, which would otherwise keep the process alive for `ms`.
    const over = new AbortController();
    const limit = anySignal(signal, over.signal);
    await Promise.race([this.pinged, sleep(ms, limit.signal)]);
    over.abort();
    limit.dispose();
  }

  /** The jobs in progress, as the next ping will list them. */
  setJobs(ids: readonly string[]): void {
    this.ids.write(ids);
  }

  async stop(): Promise<void> {
    this.thread.postMessage('stop');
    const limit = new AbortController();
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(STOP_WAIT_MS, limit.signal)]);
    limit.abort();
    if (timedOut) await this.thread.terminate();
  }
}
