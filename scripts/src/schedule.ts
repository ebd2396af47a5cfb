// Spreading a fixed list of nonces over an engine's devices, each in batches of its preferred size.
import type { EngineDevice } from '../../addon/lib/index.js';

/** Distances of `nonces` in the order given; devices take the next batch as they free up. */
export async function runAcrossDevices(devices: readonly EngineDevice[], publicKey: string,
  nonces: readonly number[]): Promise<Float64Array> {
  const dist = new Float64Array(nonces.length);
  let next = 0;
  await Promise.all(devices.map(async (device) => {
    const size = Math.max(1, device.preferredBatch);
    while (next < nonces.length) {
      const start = next;
      next = Math.min(nonces.length, next + size);
      const result = await device.run(publicKey, nonces.slice(start, next));
      dist.set(result.dist, start);
    }
  }));
  return dist;
}
