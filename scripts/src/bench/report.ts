// `bench --report DIR`: results.json, a record of the run that anyone can keep and compare (what ran, on what, how
// fast, and whether the figures can be trusted), and report.html drawn from it (report-html.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DeviceInfo, ModelParams } from '../../../addon/lib/index.js';
import { gpuDriver, machineInfo, type MachineInfo, type Peak } from './machine.js';
import type { Measurement } from './measure.js';
import { renderReport } from './report-html.js';
import { latencyHistogram, throughputSeries, type Histogram } from './series.js';
import type { SpotCheck } from './spot-check.js';
import { percentile, round, roundSignificant } from './stats.js';

export interface DeviceResult {
  device: string;
  backend: string;
  index: number;
  batch: number;
  nonces_per_s: number;
  runs_nonces_per_s: number[];
  tflops: number;
  peak_tflops: number;
  peak_kind: Peak['kind'];
  peak_detail: string;
  percent_of_peak: number;
  /** nonces/s at 100% of the peak: the line throughput is drawn against. */
  ceiling_nonces_per_s: number;
  batch_latency_s: { p50: number; p90: number; p99: number; min: number; max: number; count: number };
  cold_start_s: number;
  memory_peak_bytes: number;
  throughput_series: [number, number][];
  latency_histogram: Histogram;
}

export interface Check {
  ok: boolean;
  required: string;
  measured: string;
}

export interface BenchReport {
  benchmark: string;
  version: string;
  timestamp: string;
  command: string;
  machine: MachineInfo;
  devices: { name: string; backend: string; index: number; arch: string; memory_bytes: number; threads: number;
    driver?: string; driver_cuda?: string }[];
  scenario: { preset: string; params: ModelParams; flops_per_nonce: number; block_hash: string; public_key: string;
    r_target: number; seconds_per_run: number; runs: number; warmup_s: number; min_seconds: number };
  results: DeviceResult[];
  total: { nonces_per_s: number; computed: number; valid: number; model_load_s: number; cold_start_s: number };
  validity: { valid: boolean; warmup: Check & { seconds: number; batches: number[] };
    min_duration: Check & { required_s: number; measured_s: number }; spot_check: Check & SpotCheck };
}

export interface ReportInput {
  command: string;
  timestamp: string;
  infos: DeviceInfo[];
  scenario: BenchReport['scenario'];
  measurement: Measurement;
  perDevice: { batch: number; noncesPerS: number; runs: number[]; tflops: number; peak: Peak; memoryPeak: number }[];
  total: BenchReport['total'];
  spot: SpotCheck;
}

export function buildReport(i: ReportInput): BenchReport {
  const m = i.measurement;
  const driver = i.infos.some((d) => d.backend === 'cuda') ? gpuDriver() : undefined;
  const results = i.perDevice.map((d, k): DeviceResult => {
    const info = i.infos[k];
    const latencies = m.devices[k].batches.map((b) => b.seconds);
    const p = (q: number) => roundSignificant(percentile(latencies, q));
    return {
      device: info.name, backend: info.backend, index: info.index, batch: d.batch,
      nonces_per_s: round(d.noncesPerS, 3), runs_nonces_per_s: d.runs.map((x) => round(x, 3)),
      tflops: round(d.tflops, 3), peak_tflops: round(d.peak.tflops, 2), peak_kind: d.peak.kind, peak_detail: d.peak.detail,
      percent_of_peak: round((100 * d.tflops) / d.peak.tflops, 1),
      ceiling_nonces_per_s: roundSignificant((d.peak.tflops * 1e12) / i.scenario.flops_per_nonce),
      batch_latency_s: { p50: p(50), p90: p(90), p99: p(99), min: p(0), max: p(100), count: latencies.length },
      cold_start_s: round(m.devices[k].coldStartS, 3), memory_peak_bytes: d.memoryPeak,
      throughput_series: throughputSeries(m.devices[k].batches, m.runSeconds),
      latency_histogram: latencyHistogram(latencies),
    };
  });
  const timed = m.runSeconds.reduce((a, b) => a + b, 0);
  const batches = m.devices.map((d) => d.warmupBatches);
  const warmup = { ok: batches.every((n) => n > 0), seconds: round(m.warmupS, 2), batches,
    required: `an untimed warm-up of ${i.scenario.warmup_s} s with at least one batch on every device`,
    measured: `${round(m.warmupS, 2)} s, ${batches.join(' / ')} batches` };
  const minDuration = { ok: timed >= i.scenario.min_seconds, required_s: i.scenario.min_seconds, measured_s: round(timed, 2),
    required: `at least ${i.scenario.min_seconds} s of timed runs`, measured: `${round(timed, 2)} s in ${m.runSeconds.length} runs` };
  const s = i.spot;
  const worst = s.nonces.reduce((a, n) => Math.max(a, n.abs_delta), 0);
  const spot = { ...s, required: `recomputed on ${s.method === 'repeat' ? 'the same device' : 'a second backend'}, ` +
    `|Δ| ≤ ${s.tolerance.toExponential(1)}`,
    measured: `${s.nonces.length} nonce${s.nonces.length === 1 ? '' : 's'} on ${s.checker}, max |Δ| ${worst.toExponential(2)}` +
      `${s.reason ? ` (${s.reason})` : ''}` };
  return {
    benchmark: 'llama-gpu-bench', version: packageVersion(), timestamp: i.timestamp, command: i.command,
    machine: machineInfo(),
    devices: i.infos.map((d) => ({ name: d.name, backend: d.backend, index: d.index, arch: d.arch, memory_bytes: d.totalMemory,
      threads: d.threads, ...(d.backend === 'cuda' && driver ? { driver: driver.driver, driver_cuda: driver.cuda } : {}) })),
    scenario: i.scenario, results, total: i.total,
    validity: { valid: warmup.ok && minDuration.ok && spot.ok, warmup, min_duration: minDuration, spot_check: spot },
  };
}

/** Writes DIR/results.json and DIR/report.html; returns their paths. */
export function writeReport(dir: string, report: BenchReport): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'results.json');
  const html = path.join(dir, 'report.html');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderReport(report));
  return { json, html };
}

function packageVersion(): string {
  // dist/scripts/src/bench/report.js → the package root
  const file = path.resolve(__dirname, '../../../../package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
