// One loop per device: take nonces from the job's source, run them, hand the distances on, repeat until the job
// stops. A batch in flight always finishes (the engine cannot cancel one) and is still handed on, so a stop costs
// at most one batch per device and loses nothing; batches are capped (MAX_BATCH_SIZE) to keep that short.
import { deviceLabel, type JobDevice } from '../engine.js';
import type { Logger } from '../log.js';

export interface Work<T> {
  publicKey: string;
  nonces: number[];
  /** What the source wants back with the result (e.g. the key epoch it was computed for). */
  tag: T;
}

export interface WorkSource<T> {
  /** Up to `count` nonces for device `worker`, or undefined when it has none now. */
  take(worker: number, count: number): Work<T> | undefined;
  /** Resolves true when take() may have work again, false when no more will come (the loop then ends). */
  waitForWork(signal: AbortSignal): Promise<boolean>;
}

export interface BatchDone<T> {
  worker: number;
  device: JobDevice;
  work: Work<T>;
  dist: Float64Array;
  seconds: number;
}

export interface DeviceLoopOptions<T> {
  devices: readonly JobDevice[];
  source: WorkSource<T>;
  maxBatch: number;
  signal: AbortSignal;
  log: Logger;
  /** Called for every computed batch, in completion order; awaiting it applies back-pressure to that device. */
  onBatch(batch: BatchDone<T>): void | Promise<void>;
}

/** The batch a device runs: what it prefers for the loaded model, capped. */
export function batchSize(device: JobDevice, maxBatch: number): number {
  return Math.max(1, Math.min(device.preferredBatch > 0 ? device.preferredBatch : maxBatch, maxBatch));
}

/** Runs every device until `signal` aborts or the source runs dry; rejects with the first device failure
 *  (after the other devices have finished their batch in flight). */
export async function runDeviceLoops<T>(opts: DeviceLoopOptions<T>): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(opts.signal.reason);
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });

  let failure: { err: unknown } | undefined;
  const loop = async (device: JobDevice, worker: number): Promise<void> => {
    const size = batchSize(device, opts.maxBatch);
    const log = opts.log.child({ device: deviceLabel(device) });
    log.debug({ batch: size }, 'device loop started');
    while (!stop.signal.aborted) {
      const work = opts.source.take(worker, size);
      if (!work || work.nonces.length === 0) {
        if (!(await opts.source.waitForWork(stop.signal))) break;
        continue;
      }
      const started = performance.now();
      const { dist } = await device.run(work.publicKey, work.nonces);
      await opts.onBatch({ worker, device, work, dist, seconds: (performance.now() - started) / 1000 });
    }
    log.debug('device loop stopped');
  };

  await Promise.all(
    opts.devices.map((device, worker) =>
      loop(device, worker).catch((err: unknown) => {
        failure ??= { err };
        stop.abort(err);
      }),
    ),
  );
  opts.signal.removeEventListener('abort', onAbort);
  if (failure) throw failure.err;
}
