// A /generate job (also the second half of /warmup): nonces start_nonce, start_nonce+1, ... interleaved across
// the devices until the job stops, one line per batch with at least one valid nonce (model-server.md).
import { streamNonces } from '../../../addon/lib/index.js';
import { Deadline } from '../../../common/src/deadline.js';
import type { ServerContext } from '../context.js';
import { batchSize, selectValid } from './batches.js';

export interface GenerationJob {
  block_hash: string;
  block_height: number;
  public_key: string;
  r_target: number;
  start_nonce: number;
}

export interface GenerationTotals {
  batches: number;
  computed: number;
  valid: number;
}

/** A /generate line: per-device counters, then the job-wide `aggregated_*` ones. */
export interface GenerateLine {
  worker_id: number;
  public_key: string;
  block_hash: string;
  block_height: number;
  nonces: number[];
  dist: number[];
  node_id: number;
  batch_number: number;
  batch_computed: number;
  batch_valid: number;
  total_computed: number;
  total_valid: number;
  elapsed_seconds: number;
  next_nonce: number;
  aggregated_batch_number: number;
  aggregated_total_computed: number;
  aggregated_total_valid: number;
  n_workers: number;
}

export interface LineSink {
  write(line: object): unknown;
  /** Resolves once the reader has taken what was written, or `stop` aborts. */
  drained(stop: AbortSignal): Promise<void>;
}

/** Computes for MAX_JOB_DURATION, or until `signal` aborts (disconnect, takeover, shutdown); `totals` counts every
 *  computed batch, streamed or not. The limit holds while the reader is slow too: waiting for it ends at the limit,
 *  and then only the batches in flight finish. Device failures reject (the caller turns them into an error line). */
export class Generation {
  readonly totals: GenerationTotals = { batches: 0, computed: 0, valid: 0 };
  /** The longest batch so far: how far past its limit a job may run (the batches in flight finish). */
  longestBatchSeconds = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly job: GenerationJob,
  ) {}

  async run(sink: LineSink, signal: AbortSignal): Promise<GenerationTotals> {
    const { ctx } = this;
    const started = Date.now();
    const limit = new Deadline(ctx.config.maxJobDurationMs, { parents: [signal], what: 'job time limit' });
    try {
      await this.stream(sink, limit.signal, started);
    } finally {
      limit.dispose();
    }
    return this.totals;
  }

  /** The totals and the longest batch, for the job's end in the log. */
  summary(): Record<string, number> {
    return { ...this.totals, longestBatchSeconds: this.longestBatchSeconds };
  }

  private async stream(sink: LineSink, stop: AbortSignal, started: number): Promise<void> {
    const { job, ctx } = this;
    const devices = ctx.engine.devices;
    const perDevice = devices.map(() => ({ computed: 0, valid: 0 }));
    await streamNonces(devices, {
      publicKey: job.public_key,
      startNonce: job.start_nonce,
      batchSize: (device) => batchSize(device, ctx.config.maxBatchSize),
      signal: stop,
      onBatch: async ({ worker, device, nonces, dist, nextNonce, seconds }) => {
        const valid = selectValid(nonces, dist, job.r_target);
        const mine = perDevice[worker];
        mine.computed += nonces.length;
        mine.valid += valid.nonces.length;
        this.totals.batches += 1;
        this.totals.computed += nonces.length;
        this.totals.valid += valid.nonces.length;
        this.longestBatchSeconds = Math.max(this.longestBatchSeconds, seconds);
        ctx.metrics.batch(device, nonces.length, valid.nonces.length, seconds);
        if (valid.nonces.length === 0) return;
        const line: GenerateLine = {
          worker_id: worker,
          public_key: job.public_key,
          block_hash: job.block_hash,
          block_height: job.block_height,
          nonces: valid.nonces,
          dist: valid.dist,
          node_id: worker,
          batch_number: this.totals.batches,
          batch_computed: nonces.length,
          batch_valid: valid.nonces.length,
          total_computed: mine.computed,
          total_valid: mine.valid,
          elapsed_seconds: Math.floor((Date.now() - started) / 1000),
          next_nonce: nextNonce,
          aggregated_batch_number: this.totals.batches,
          aggregated_total_computed: this.totals.computed,
          aggregated_total_valid: this.totals.valid,
          n_workers: devices.length,
        };
        sink.write(line);
        await sink.drained(stop);
      },
    });
  }
}
