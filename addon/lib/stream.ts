// A stream of nonces over every device until cancelled: device w of W computes start + w + x·W (x = 0, 1, 2, ...),
// the reference's interleaved assignment, in batches of its preferred size. Cancellation takes effect between
// batches: a batch in flight finishes and is still delivered, so nothing computed is lost.
import type { EngineDevice } from './engine.js';

export interface StreamBatch {
  /** Position of the device in the list given. */
  worker: number;
  device: EngineDevice;
  nonces: number[];
  dist: Float64Array;
  /** The next nonce this device would compute. */
  nextNonce: number;
  /** Seconds the device spent on this batch (queueing excluded: calls on a device are serialised). */
  seconds: number;
}

export interface StreamOptions {
  publicKey: string;
  startNonce: number;
  /** Last nonce to compute, inclusive (default: unbounded). */
  endNonce?: number;
  /** Batch size per device (default: the device's preferred batch). */
  batchSize?: number | ((device: EngineDevice) => number);
  signal?: AbortSignal;
  /** Called once per computed batch, in completion order; a rejection stops the stream. */
  onBatch: (batch: StreamBatch) => void | Promise<void>;
}

export async function streamNonces(devices: readonly EngineDevice[], opts: StreamOptions): Promise<void> {
  const W = devices.length;
  const end = opts.endNonce ?? Number.MAX_SAFE_INTEGER;
  let failed = false; // one device failing stops the others after their batch in flight
  const stopped = () => failed || opts.signal?.aborted === true;
  const results = await Promise.allSettled(devices.map(async (device, w) => {
    let x = 0;
    const size = Math.max(1, typeof opts.batchSize === 'function' ? opts.batchSize(device)
      : opts.batchSize ?? device.preferredBatch);
    try {
      while (!stopped()) {
        const nonces: number[] = [];
        for (let n = opts.startNonce + w + x * W; nonces.length < size && n <= end; n += W, x++) nonces.push(n);
        if (nonces.length === 0) return;
        const started = performance.now();
        const { dist } = await device.run(opts.publicKey, nonces);
        const seconds = (performance.now() - started) / 1000;
        await opts.onBatch({ worker: w, device, nonces, dist, nextNonce: opts.startNonce + w + x * W, seconds });
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  }));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
