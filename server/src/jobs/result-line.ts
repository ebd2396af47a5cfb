// The result line of a batch (docs/model-server.md "POST /generate"), one builder for both jobs that send it: /generate
// adds the job-wide aggregated_* counters and n_workers, /pooled a result_id. Counters are per device; which
// batch_number a job reports is its choice (job-wide for /generate, as the reference overwrites it; per device for
// /pooled).
import type { StreamBatch } from '../../../addon/lib/index.js';
import { selectValid } from './batches.js';

export interface ResultLine {
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
}

export interface Counters {
  batches: number;
  computed: number;
  valid: number;
}

export const noCounters = (): Counters => ({ batches: 0, computed: 0, valid: 0 });

export interface JobIdentity {
  publicKey: string;
  blockHash: string;
  blockHeight: number;
  rTarget: number;
  /** Date.now() when the job (or its key and range) started: elapsed_seconds counts from here. */
  started: number;
}

/** Counts the batch into `device` (and `job`, when given) and builds its line; `batchNumber` picks the count. */
export function resultLine(id: JobIdentity, batch: StreamBatch, device: Counters, job?: Counters,
  batchNumber: (device: Counters, job?: Counters) => number = (d) => d.batches): ResultLine {
  const valid = selectValid(batch.nonces, batch.dist, id.rTarget);
  for (const c of job ? [device, job] : [device]) {
    c.batches += 1;
    c.computed += batch.nonces.length;
    c.valid += valid.nonces.length;
  }
  return {
    worker_id: batch.worker,
    public_key: id.publicKey,
    block_hash: id.blockHash,
    block_height: id.blockHeight,
    nonces: valid.nonces,
    dist: valid.dist,
    node_id: batch.worker,
    batch_number: batchNumber(device, job),
    batch_computed: batch.nonces.length,
    batch_valid: valid.nonces.length,
    total_computed: device.computed,
    total_valid: device.valid,
    elapsed_seconds: Math.floor((Date.now() - id.started) / 1000),
    next_nonce: batch.nextNonce,
  };
}
