// Spreading a fixed list of nonces over an engine's devices, each in batches of its own size: what a validator does
// with reported nonces (`llama-gpu-bench compute`, `verify`, POST /validate), as streamNonces is what a miner does.
import type { EngineDevice } from './engine.js';
import { runLanes } from './lanes.js';

export interface NonceListOptions {
  /** Batch size per device (default: the device's preferred batch). */
  batchSize?: (device: EngineDevice) => number;
  /** Stops asking for batches; the batches in flight finish, then the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** After each batch: how many nonces are done so far. */
  onProgress?: (done: number) => void;
}

/** Distances of `nonces` in the order given; devices take the next batch as they free up. One device failing stops
 *  the others after their batch in flight; the call settles once no batch is in flight. */
export async function runAcrossDevices(devices: readonly EngineDevice[], publicKey: string,
  nonces: readonly number[], opts: NonceListOptions = {}): Promise<Float64Array> {
  const dist = new Float64Array(nonces.length);
  let next = 0;
  let done = 0;
  await runLanes(devices.map((device) => async (failed) => {
    const size = Math.max(1, opts.batchSize ? opts.batchSize(device) : device.preferredBatch);
    while (next < nonces.length && !failed()) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const start = next;
      next = Math.min(nonces.length, next + size);
      const result = await device.run(publicKey, nonces.slice(start, next));
      dist.set(result.dist, start);
      done += result.dist.length;
      opts.onProgress?.(done);
    }
  }));
  return dist;
}
