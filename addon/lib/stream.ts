// A stream of nonces over every device until cancelled: device w of W computes start + w + x·W (x = 0, 1, 2, ...),
// the reference's interleaved assignment, in batches of its preferred size, `depth` batches in flight per device.
// Cancellation takes effect between batches: batches in flight finish and are still delivered, so nothing
// computed is lost.
import type { EngineDevice } from './engine.js';
import { runLanes, type Lane } from './lanes.js';

export interface StreamBatch {
  /** Position of the device in the list given. */
  worker: number;
  device: EngineDevice;
  nonces: number[];
  dist: Float64Array;
  /** The next nonce this device would compute. */
  nextNonce: number;
  /** Seconds from asking for this batch to its result (with depth > 1 this includes the wait for the batch
   *  ahead of it on the device). */
  seconds: number;
}

export interface StreamOptions {
  publicKey: string;
  startNonce: number;
  /** Last nonce to compute, inclusive (default: unbounded). */
  endNonce?: number;
  /** Batches in flight per device. Default: the device's own pipelineDepth (2 on CUDA, where the next batch's
   *  inputs are made on the CPU while one computes; 1 on the CPU backend, which needs the cores for the batch
   *  itself). A cancel waits for at most these. */
  depth?: number;
  /** Batch size per device (default: the device's preferred batch). */
  batchSize?: number | ((device: EngineDevice) => number);
  signal?: AbortSignal;
  /** Called once per computed batch, in completion order; a rejection stops the stream. */
  onBatch: (batch: StreamBatch) => void | Promise<void>;
}

export async function streamNonces(devices: readonly EngineDevice[], opts: StreamOptions): Promise<void> {
  const W = devices.length;
  const end = opts.endNonce ?? Number.MAX_SAFE_INTEGER;
  const lanes = devices.flatMap((device, w): Lane[] => {
    const depth = Math.max(1, opts.depth ?? device.pipelineDepth);
    let x = 0; // this device's position in its interleaved sequence, shared by its lanes
    const size = Math.max(1, typeof opts.batchSize === 'function' ? opts.batchSize(device)
      : opts.batchSize ?? device.preferredBatch);
    const nextBatch = () => {
      const nonces: number[] = [];
      for (let n = opts.startNonce + w + x * W; nonces.length < size && n <= end; n += W, x++) nonces.push(n);
      return nonces;
    };
    return Array.from({ length: depth }, () => async (failed: () => boolean) => {
      while (!failed() && opts.signal?.aborted !== true) {
        const nonces = nextBatch();
        if (nonces.length === 0) return;
        const started = performance.now();
        const { dist } = await device.run(opts.publicKey, nonces);
        const seconds = (performance.now() - started) / 1000;
        await opts.onBatch({ worker: w, device, nonces, dist, nextNonce: opts.startNonce + w + x * W, seconds });
      }
    });
  });
  await runLanes(lanes);
}
