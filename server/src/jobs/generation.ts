// A /generate job (also the second half of /warmup): nonces start_nonce, start_nonce+1, ... interleaved across
// the devices until the job stops, one line per batch with at least one valid nonce (docs/model-server.md).
import { streamNonces } from '../../../addon/lib/index.js';
import { Deadline } from '../../../common/src/deadline.js';
import type { ServerContext } from '../context.js';
import { batchSize } from './batches.js';
import { noCounters, resultLine, type Counters, type ResultLine } from './result-line.js';

export interface GenerationJob {
  block_hash: string;
  block_height: number;
  public_key: string;
  r_target: number;
  start_nonce: number;
}

/** A /generate line: the result line (per-device counters, batch_number job-wide), then the job-wide ones. */
export interface GenerateLine extends ResultLine {
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
  readonly totals: Counters = noCounters();
  /** The longest batch so far: how far past its limit a job may run (the batches in flight finish). */
  longestBatchSeconds = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly job: GenerationJob,
  ) {}

  async run(sink: LineSink, signal: AbortSignal): Promise<Counters> {
    const limit = new Deadline(this.ctx.config.maxJobDurationMs, { parents: [signal], what: 'job time limit' });
    try {
      await this.stream(sink, limit.signal);
    } finally {
      limit.dispose();
    }
    return this.totals;
  }

  /** The totals and the longest batch, for the job's end in the log. */
  summary(): Record<string, number> {
    return { ...this.totals, longestBatchSeconds: this.longestBatchSeconds };
  }

  private async stream(sink: LineSink, stop: AbortSignal): Promise<void> {
    const { job, ctx } = this;
    const devices = ctx.engine.devices;
    const perDevice = devices.map(noCounters);
    const id = { publicKey: job.public_key, blockHash: job.block_hash, blockHeight: job.block_height,
      rTarget: job.r_target, started: Date.now() };
    await streamNonces(devices, {
      publicKey: job.public_key,
      startNonce: job.start_nonce,
      batchSize: (device) => batchSize(device, ctx.config.maxBatchSize),
      signal: stop,
      onBatch: async (batch) => {
        const line = resultLine(id, batch, perDevice[batch.worker], this.totals, (_, all) => all!.batches);
        this.longestBatchSeconds = Math.max(this.longestBatchSeconds, batch.seconds);
        ctx.metrics.batch(batch.device, line.batch_computed, line.batch_valid, batch.seconds);
        if (line.batch_valid === 0) return;
        const full: GenerateLine = {
          ...line,
          aggregated_batch_number: this.totals.batches,
          aggregated_total_computed: this.totals.computed,
          aggregated_total_valid: this.totals.valid,
          n_workers: devices.length,
        };
        sink.write(full);
        await sink.drained(stop);
      },
    });
  }
}
