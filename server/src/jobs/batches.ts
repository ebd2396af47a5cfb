// What the jobs do with a device's batch: pick its size, and keep the valid nonces.
import type { EngineDevice } from '../../../addon/lib/index.js';

/** The batch a device runs: what it prefers for the loaded model, capped (MAX_BATCH_SIZE) so that a stop, which
 *  waits for the batch in flight, stays prompt. */
export function batchSize(device: EngineDevice, maxBatch: number): number {
  return Math.max(1, Math.min(device.preferredBatch > 0 ? device.preferredBatch : maxBatch, maxBatch));
}

/** The nonces (and their distances) of a batch that are valid: dist < rTarget, strictly; NaN is never valid. */
export function selectValid(nonces: readonly number[], dist: Float64Array, rTarget: number): { nonces: number[]; dist: number[] } {
  const valid = { nonces: [] as number[], dist: [] as number[] };
  for (let i = 0; i < nonces.length; i++) {
    if (dist[i] < rTarget) {
      valid.nonces.push(nonces[i]);
      valid.dist.push(dist[i]);
    }
  }
  return valid;
}

/** Seconds per batch of each device, measured between its successive batches (a device runs them back to back,
 *  so this is its batch time plus our handling of the previous one). */
export class BatchClock {
  private readonly last: number[];

  constructor(workers: number) {
    this.last = new Array<number>(workers).fill(performance.now());
  }

  lap(worker: number): number {
    const now = performance.now();
    const seconds = (now - this.last[worker]) / 1000;
    this.last[worker] = now;
    return seconds;
  }
}
