// Prometheus metrics (GET /metrics): nonces computed and valid per device, batch latency, job state, device
// memory, the pooled result buffer. One registry per app, so several apps (tests) never share counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineDevice } from '../../addon/lib/index.js';
import type { ServerEngine } from './engine.js';
import type { HolderKind } from './jobs/slot.js';

export type JobOutcome = 'completed' | 'cancelled' | 'superseded' | 'shutdown' | 'failed';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly computed: Counter<'device'>;
  private readonly valid: Counter<'device'>;
  private readonly batchSeconds: Histogram<'device'>;
  private readonly running: Gauge<'kind'>;
  private readonly jobs: Counter<'kind' | 'outcome'>;
  private readonly pending: Gauge;
  private readonly lost: Counter;

  constructor(engine: ServerEngine, cudaBroken: () => boolean) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.computed = new Counter({
      name: 'lgb_nonces_computed_total', help: 'Nonces computed', labelNames: ['device'], registers,
    });
    this.valid = new Counter({
      name: 'lgb_nonces_valid_total', help: 'Nonces with dist < r_target', labelNames: ['device'], registers,
    });
    this.batchSeconds = new Histogram({
      name: 'lgb_batch_seconds', help: 'Seconds per batch, from asking for it to its result', labelNames: ['device'], registers,
      buckets: [0.001, 0.005, 0.02, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    });
    this.running = new Gauge({
      name: 'lgb_job_running', help: '1 while a job of this kind (or a validation) holds the devices', labelNames: ['kind'], registers,
    });
    for (const kind of ['generate', 'warmup', 'pooled', 'validate']) this.running.set({ kind }, 0);
    this.jobs = new Counter({
      name: 'lgb_jobs_total', help: 'Jobs (and validations) ended, by kind and outcome', labelNames: ['kind', 'outcome'], registers,
    });
    this.pending = new Gauge({
      name: 'lgb_pooled_pending_results', help: 'Results waiting for the orchestrator', registers,
    });
    this.lost = new Counter({
      name: 'lgb_pooled_lost_results_total', help: 'Results dropped past the buffer bound', registers,
    });
    new Gauge({
      name: 'lgb_cuda_broken', help: '1 after a fatal device failure', registers,
      collect() {
        this.set(cudaBroken() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lgb_device_memory_total_bytes', help: 'Device memory', labelNames: ['device'], registers,
      collect() {
        for (const d of engine.devices) this.set({ device: d.label }, d.info.totalMemory);
      },
    });
    new Gauge({
      name: 'lgb_device_memory_used_bytes', help: 'Device memory held by the engine', labelNames: ['device'], registers,
      // Read at once, never behind a batch in flight: a scrape neither waits nor stalls the devices.
      collect() {
        for (const d of engine.devices) this.set({ device: d.label }, d.memory().inUse);
      },
    });
  }

  batch(device: EngineDevice, computed: number, valid: number, seconds: number): void {
    const labels = { device: device.label };
    this.computed.inc(labels, computed);
    this.valid.inc(labels, valid);
    this.batchSeconds.observe(labels, seconds);
  }

  jobState(kind: HolderKind, running: boolean): void {
    this.running.set({ kind }, running ? 1 : 0);
  }

  jobEnded(kind: HolderKind, outcome: JobOutcome): void {
    this.jobs.inc({ kind, outcome });
  }

  pooledPending(count: number): void {
    this.pending.set(count);
  }

  pooledLost(count: number): void {
    this.lost.inc(count);
  }
}
