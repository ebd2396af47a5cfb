// The report's derived figures on made-up batches: nearest-rank percentiles, a throughput curve that reads the rate
// between results (not a batch's own latency), a histogram that holds every batch, and spot-check picks spread over
// devices and time.
import t from 'tap';
import type { BenchBatch } from '../src/bench/measure.js';
import { latencyHistogram, throughputSeries } from '../src/bench/series.js';
import { spread } from '../src/bench/spot-check.js';
import { median, percentile } from '../src/bench/stats.js';

t.test('percentiles are nearest-rank values that occurred', async (t) => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  t.same([percentile(xs, 50), percentile(xs, 90), percentile(xs, 99), percentile(xs, 100), percentile(xs, 0)], [50, 90, 99, 100, 1]);
  t.equal(percentile([3], 99), 3);
  t.equal(median([4, 1, 3, 2]), 2.5);
});

t.test('throughput is nonces over the time between results, run after run', async (t) => {
  // Two runs of 1 s; a batch of 10 every 0.1 s, each with a latency of 0.2 s (two in flight): 100 nonces/s.
  const batches: BenchBatch[] = [0, 1].flatMap((run) =>
    Array.from({ length: 10 }, (_, k) => ({ run, t: run + (k + 1) * 0.1, nonces: 10, seconds: 0.2 })));
  const series = throughputSeries(batches, [1, 1]);
  t.ok(series.length >= 10, `${series.length} points`);
  t.ok(series.every(([, v]) => Math.abs(v - 100) < 1e-6), 'the rate between results, not 10 / 0.2');
  t.ok(series.every(([s], i) => i === 0 || s > series[i - 1][0]), 'in time order');
  const many = Array.from({ length: 5000 }, (_, k) => ({ run: 0, t: (k + 1) / 1000, nonces: 1, seconds: 0.001 }));
  t.ok(throughputSeries(many, [5]).length <= 121, 'at most ~120 points');
});

t.test('the latency histogram holds every batch', async (t) => {
  const h = latencyHistogram([0.1, 0.2, 0.2, 0.3, 0.9]);
  t.equal(h.counts.reduce((a, b) => a + b, 0), 5);
  t.equal(h.edges_s.length, h.counts.length + 1);
  t.equal(h.edges_s[0], 0.1);
  t.equal(h.edges_s.at(-1), 0.9);
  t.same(latencyHistogram([0.5, 0.5]).counts, [2], 'equal latencies: one bin');
});

t.test('spot-check picks spread over the devices and over each device\'s run', async (t) => {
  const samples = [0, 1].map((device) => Array.from({ length: 100 }, (_, k) => ({ nonce: device * 1000 + k, dist: 1 })));
  const picked = spread(samples, 4);
  t.same(picked.map((p) => p.device), [0, 1, 0, 1]);
  t.same(picked.map((p) => p.nonce), [25, 1025, 75, 1075]);
  t.same(spread([[{ nonce: 7, dist: 1 }], []], 4).map((p) => p.nonce), [7], 'no more than there are');
});
