// The benchmark's measurement, on an engine whose model is loaded: the first batch of every device (the end of the
// cold start), an untimed warm-up, then timed runs on the stream the server uses (streamNonces: pipelined batches on
// every device), every batch recorded. Each phase computes fresh nonces.
import { streamNonces, type EngineDevice } from '../../../addon/lib/index.js';
import { withDeadline } from '../../../common/src/deadline.js';
import type { Progress } from '../output.js';

export interface BenchBatch {
  /** Timed run, from 0. */
  run: number;
  /** Seconds into the timed runs (run after run) at which the batch completed. */
  t: number;
  nonces: number;
  /** From asking for the batch to its result (with two batches in flight on CUDA, the one ahead included). */
  seconds: number;
}

export interface DeviceMeasurement {
  /** Seconds from the start of the command (engine open, model load) to this device's first result. */
  coldStartS: number;
  warmupBatches: number;
  runs: { nonces: number; valid: number; seconds: number }[];
  batches: BenchBatch[];
  /** The first nonce of every timed batch with its distance: what the correctness spot check draws from. */
  samples: { nonce: number; dist: number }[];
}

export interface Measurement {
  /** Wall seconds of the warm-up and of each timed run (its last batches in flight included). */
  warmupS: number;
  runSeconds: number[];
  devices: DeviceMeasurement[];
}

export interface MeasureOptions {
  publicKey: string;
  rTarget: number;
  seconds: number;
  runs: number;
  warmupSeconds: number;
  batchOf: (device: EngineDevice) => number;
  /** performance.now() when the command started: the origin of the cold start. */
  startedAt: number;
  progress: Progress;
}

/** Nonces of each phase start this far apart, so no phase repeats another's. */
const PHASE_STRIDE = 1_000_000_000;

export async function measure(devices: readonly EngineDevice[], o: MeasureOptions): Promise<Measurement> {
  const out: DeviceMeasurement[] = devices.map(() => ({ coldStartS: 0, warmupBatches: 0, runs: [], batches: [], samples: [] }));
  let next = 0;
  await Promise.all(devices.map(async (d, i) => {
    const size = o.batchOf(d);
    const nonces = Array.from({ length: size }, (_, k) => next + i * size + k);
    await d.run(o.publicKey, nonces);
    out[i].coldStartS = (performance.now() - o.startedAt) / 1000;
  }));
  next += PHASE_STRIDE;

  let warmupS = 0;
  if (o.warmupSeconds > 0) {
    const started = performance.now();
    o.progress.update(`warm-up: ${o.warmupSeconds} s`, true);
    await withDeadline(o.warmupSeconds * 1000, { what: 'bench warm-up' }, (limit) => streamNonces(devices, {
      publicKey: o.publicKey, startNonce: next, batchSize: o.batchOf, signal: limit.signal,
      onBatch: ({ worker }) => void out[worker].warmupBatches++,
    }));
    warmupS = (performance.now() - started) / 1000;
    next += PHASE_STRIDE;
  }

  const runSeconds: number[] = [];
  let offset = 0;
  for (let r = 0; r < o.runs; r++) {
    const started = performance.now();
    const runs = devices.map(() => ({ nonces: 0, valid: 0, seconds: 0 }));
    let total = 0;
    let valid = 0;
    await withDeadline(o.seconds * 1000, { what: 'bench run' }, (limit) => streamNonces(devices, {
      publicKey: o.publicKey, startNonce: next, batchSize: o.batchOf, signal: limit.signal,
      onBatch: ({ worker, nonces, dist, seconds }) => {
        const run = runs[worker];
        const now = (performance.now() - started) / 1000;
        let v = 0;
        for (const x of dist) if (x < o.rTarget) v++;
        run.nonces += dist.length;
        run.valid += v;
        run.seconds = now;
        total += dist.length;
        valid += v;
        out[worker].batches.push({ run: r, t: offset + now, nonces: dist.length, seconds });
        out[worker].samples.push({ nonce: nonces[0], dist: dist[0] });
        o.progress.update(`run ${r + 1}/${o.runs}: ${(total / now).toFixed(2)} nonces/s, ${valid} valid, ${now.toFixed(1)} s`);
      },
    }));
    const wall = (performance.now() - started) / 1000;
    runSeconds.push(wall);
    offset += wall;
    next += PHASE_STRIDE;
    runs.forEach((run, i) => out[i].runs.push(run));
  }
  o.progress.done();
  return { warmupS, runSeconds, devices: out };
}
