// What the jobs do with a device's batch: pick its size, and keep the valid nonces.
import type { EngineDevice } from '../../../addon/lib/index.js';

/** The batch a device runs: what it prefers for the loaded model, capped (MAX_BATCH_SIZE) so that a stop, which
 *  waits for the batches in flight (streamNonces' depth), stays prompt. */
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
