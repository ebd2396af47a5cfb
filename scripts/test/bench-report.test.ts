// `llama-gpu-bench bench --report DIR` on the CPU backend (tiny model, seconds): results.json with what ran, on what,
// the figures per device and the run's validity; report.html self-contained (no script, nothing fetched), with a
// throughput chart (and its ceiling) and a latency histogram per device, and the validity table.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const CLI = path.resolve(__dirname, '../src/cli.js');
const run = promisify(execFile);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function bench(dir: string, extra: string[]): Promise<{ stdout: string; stderr: string; report: Json; html: string }> {
  const { stdout, stderr } = await run(process.execPath, [CLI, 'bench', '--params', 'tiny', '--backend', 'cpu', '--threads', '1',
    '--seconds', '0.3', '--runs', '2', '--warmup', '0.2', '--report', dir, ...extra], { maxBuffer: 16 << 20 });
  return { stdout, stderr, report: JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')),
    html: fs.readFileSync(path.join(dir, 'report.html'), 'utf8') };
}

t.test('bench --report on the CPU writes results.json and report.html in seconds', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-report-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const started = Date.now();
  const { stdout, stderr, report: r, html } = await bench(path.join(dir, 'new', 'folder'), ['--min-seconds', '0.5', '--json']);
  t.ok(Date.now() - started < 30_000, `took ${(Date.now() - started) / 1000} s`);
  t.match(stderr, /bench: a valid run; report in .*results\.json and .*report\.html/);
  const summary = JSON.parse(stdout);
  t.equal(summary.report.valid, true, '--json points to the report');

  t.match(r, { benchmark: 'llama-gpu-bench', version: /^\d+\.\d+\.\d+/, timestamp: /^\d{4}-\d\d-\d\dT/,
    machine: { cpu: String, cores: Number, memory_bytes: Number } });
  t.same(r.devices.map((d: Json) => [d.backend, d.index]), [['cpu', 0]]);
  t.ok(r.devices[0].memory_bytes > 0);
  t.match(r.scenario, { preset: 'tiny', seconds_per_run: 0.3, runs: 2, warmup_s: 0.2, min_seconds: 0.5, flops_per_nonce: Number });
  t.equal(r.results.length, 1, 'one result per device');
  const d = r.results[0];
  t.ok(d.nonces_per_s > 0 && d.tflops > 0 && d.percent_of_peak > 0);
  t.equal(d.peak_kind, 'nominal');
  t.ok(d.ceiling_nonces_per_s > d.nonces_per_s, 'the ceiling is above the measured rate');
  const l = d.batch_latency_s;
  t.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, `p50 ${l.p50} ≤ p90 ${l.p90} ≤ p99 ${l.p99}`);
  t.equal(d.latency_histogram.counts.reduce((a: number, b: number) => a + b, 0), l.count, 'the histogram holds every batch');
  t.ok(d.cold_start_s > 0 && d.memory_peak_bytes > 0);
  t.ok(d.throughput_series.length > 0 && d.throughput_series.every(([s, v]: number[]) => s > 0 && v > 0));

  const v = r.validity;
  t.equal(v.valid, true);
  t.equal(v.warmup.ok, true);
  t.ok(v.warmup.batches[0] > 0, 'the warm-up ran batches');
  t.equal(v.min_duration.ok, true);
  t.ok(v.min_duration.measured_s >= 0.5);
  t.equal(v.spot_check.ok, true);
  t.ok(['repeat', 'second-backend'].includes(v.spot_check.method), `spot check: ${v.spot_check.method} (${v.spot_check.checker})`);
  t.ok(v.spot_check.nonces.length >= 1 && v.spot_check.nonces.length <= 4);
  t.ok(v.spot_check.nonces.every((n: Json) => n.abs_delta <= v.spot_check.tolerance));

  t.ok(html.startsWith('<!DOCTYPE html>'));
  t.equal((html.match(/<svg class="throughput" data-device="cpu:0"/g) ?? []).length, 1, 'a throughput chart per device');
  t.equal((html.match(/<svg class="latency" data-device="cpu:0"/g) ?? []).length, 1, 'a latency histogram per device');
  t.match(html, /<line [^>]*class="ceiling"\/>/, 'the ceiling line');
  t.match(html, /<polyline points="[\d.,\s]+" class="series"\/>/, 'the throughput curve');
  t.equal((html.match(/<svg /g) ?? []).length, (html.match(/<\/svg>/g) ?? []).length, 'every chart closed');
  const validity = /<table class="validity">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
  for (const check of ['warm-up done', 'minimum duration met', 'correctness spot-check']) {
    t.match(validity, new RegExp(`<tr><td>${check}</td><td><span class="ok">pass</span></td>`), `validity row: ${check}`);
  }
  t.match(html, /Valid run: warm-up done, minimum duration met, correctness spot-check passed/);
  t.notMatch(html, /<script|<link|<img|<iframe|\bsrc=|\bhref=|https?:\/\/|url\(/i, 'nothing is fetched: one self-contained file');
});

t.test('a run shorter than --min-seconds is written, and marked not valid', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-report-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { stderr, report: r, html } = await bench(dir, ['--min-seconds', '1000']);
  t.match(stderr, /NOT a valid run/);
  t.equal(r.validity.valid, false);
  t.equal(r.validity.min_duration.ok, false);
  t.equal(r.validity.spot_check.ok, true);
  t.match(html, /Not a valid run: minimum duration failed/);
  t.match(html, /<tr><td>minimum duration met<\/td><td><span class="fail">FAIL<\/span><\/td>/);
});
