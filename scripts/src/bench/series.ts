// What the report draws, derived from the recorded batches: a device's throughput over time and the distribution of
// its batch latencies.
import type { BenchBatch } from './measure.js';
import { roundSignificant } from './stats.js';

/** Points of a throughput curve at most. */
const MAX_POINTS = 120;
const HISTOGRAM_BINS = 24;

/**
 * [t, nonces/s] over the timed runs. A batch's rate is its nonces over the time since the device's previous result
 * (not over its own latency, which on CUDA includes the batch ahead of it); consecutive batches are merged until a
 * point covers at least 1/120 of the runs, so a fast device does not draw thousands of points.
 */
export function throughputSeries(batches: readonly BenchBatch[], runSeconds: readonly number[]): [number, number][] {
  const total = runSeconds.reduce((a, b) => a + b, 0);
  const runStart = (run: number) => runSeconds.slice(0, run).reduce((a, b) => a + b, 0);
  const width = total / MAX_POINTS;
  const points: [number, number][] = [];
  let nonces = 0;
  let span = 0;
  let previous: BenchBatch | undefined;
  for (const b of batches) {
    const since = previous && previous.run === b.run ? previous.t : runStart(b.run);
    previous = b;
    nonces += b.nonces;
    span += b.t - since;
    if (span >= width && span > 0) {
      points.push([roundSignificant(b.t, 5), roundSignificant(nonces / span, 5)]);
      nonces = 0;
      span = 0;
    }
  }
  if (span > 0) points.push([roundSignificant(previous!.t, 5), roundSignificant(nonces / span, 5)]);
  return points;
}

export interface Histogram {
  /** HISTOGRAM_BINS + 1 edges in seconds (one bin around the value when every latency is the same). */
  edges_s: number[];
  counts: number[];
}

export function latencyHistogram(latencies: readonly number[]): Histogram {
  if (latencies.length === 0) return { edges_s: [], counts: [] };
  let lo = latencies.reduce((a, b) => Math.min(a, b), Infinity);
  let hi = latencies.reduce((a, b) => Math.max(a, b), -Infinity);
  if (hi - lo < 1e-9 * Math.max(1, hi)) {
    lo = lo * 0.95;
    hi = hi * 1.05 || 1e-6;
    return { edges_s: [roundSignificant(lo), roundSignificant(hi)], counts: [latencies.length] };
  }
  const step = (hi - lo) / HISTOGRAM_BINS;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const x of latencies) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((x - lo) / step))]++;
  return { edges_s: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => roundSignificant(lo + i * step)), counts };
}
