// `llama-gpu-bench bench`: nonces/s on a stream of nonces, per device and in total, against a stated peak.
// Cold start = block hash to first batch (host model + device load + one batch). After a warm-up, the median of
// --runs timed runs. --report DIR also writes results.json and report.html, with the run's validity: warm-up done,
// minimum duration met, and a correctness spot check (bench/).
import { Engine, flopsPerNonce, parseParamsArg, PRESETS, SAMPLE_JOB, type EngineDevice } from '../../../addon/lib/index.js';
import { parseBackend, parseFlags, parseNumber } from '../args.js';
import { appendBenchmarkRow } from '../benchmarks-file.js';
import { devicePeak, machineDescription, shortDeviceName } from '../bench/machine.js';
import { measure } from '../bench/measure.js';
import { buildReport, writeReport } from '../bench/report.js';
import { spotCheck, spread } from '../bench/spot-check.js';
import { median, round } from '../bench/stats.js';
import { log, printJson, Progress } from '../output.js';

export const benchUsage = `usage: llama-gpu-bench bench [--params tiny|v1|v2|JSON] [--backend auto|cpu|cuda] [--seconds S] [--runs N]
         [--warmup S] [--batch N] [--threads N] [--json] [--record] [--memory-limit-gb G]
         [--report DIR [--min-seconds S] [--spot-check-seconds S] [--spot-check-nonces N]]

Throughput on a stream of nonces (the server's), per device and in total: nonces/s, TFLOP/s and % of the device's
peak (CUDA: the fp16 GEMM peak measured in the same run; CPU: a nominal AVX2 peak), batch latency, cold start, peak
memory. A table on stderr.

  --params P       a preset (default tiny) or a job's params JSON
  --backend B      auto (default: every CUDA device, else the CPU), cpu or cuda
  --seconds S      seconds per timed run (default 10); --runs N: timed runs, the median is reported (default 3)
  --warmup S       untimed seconds before the runs, after every device's first batch (default 2)
  --batch N        batch size per device (default: each device's preferred batch)
  --json           the result as one JSON object on stdout
  --record         appends a row to BENCHMARKS.md
  --report DIR     writes DIR/results.json and DIR/report.html (charts, the validity table), and checks the run:
    --min-seconds S          timed seconds a valid run needs at least (default 30)
    --spot-check-seconds S   time cap of the correctness spot check (default 60)
    --spot-check-nonces N    nonces it recomputes at most, on the other backend or else again (default 4)
  --memory-limit-gb G   plan each CUDA device's memory as if it had G GiB
  --block-hash H, --public-key PK, --r-target R, --gemm-size N   the job and the peak's GEMM size
`;

export async function benchCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, {
    params: { type: 'string', default: 'tiny' },
    backend: { type: 'string' },
    seconds: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    batch: { type: 'string' },
    threads: { type: 'string' },
    'block-hash': { type: 'string', default: SAMPLE_JOB.blockHash },
    'public-key': { type: 'string', default: SAMPLE_JOB.publicKey },
    'r-target': { type: 'string' },
    'gemm-size': { type: 'string' },
    'memory-limit-gb': { type: 'string' },
    json: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    report: { type: 'string' },
    'min-seconds': { type: 'string' },
    'spot-check-seconds': { type: 'string' },
    'spot-check-nonces': { type: 'string' },
  });
  const paramsArg = f.params as string;
  const params = parseParamsArg(paramsArg);
  const preset = Object.keys(PRESETS).find((k) => k === paramsArg) ?? 'custom';
  const seconds = parseNumber(f.seconds, '--seconds', 10, { min: 0.1 });
  const runs = parseNumber(f.runs, '--runs', 3, { min: 1, integer: true });
  const warmupSeconds = parseNumber(f.warmup, '--warmup', 2, { min: 0 });
  const batchOverride = parseNumber(f.batch, '--batch', 0, { min: 0, integer: true });
  const threads = parseNumber(f.threads, '--threads', 0, { min: 0, integer: true });
  const rTarget = parseNumber(f['r-target'], '--r-target', SAMPLE_JOB.mainnetRTarget, { min: 0 });
  const gemmSize = parseNumber(f['gemm-size'], '--gemm-size', 8192, { min: 256, integer: true });
  const memoryLimitGb = parseNumber(f['memory-limit-gb'], '--memory-limit-gb', 0, { min: 0 });
  const minSeconds = parseNumber(f['min-seconds'], '--min-seconds', 30, { min: 0 });
  const spotSeconds = parseNumber(f['spot-check-seconds'], '--spot-check-seconds', 60, { min: 0 });
  const spotNonces = parseNumber(f['spot-check-nonces'], '--spot-check-nonces', 4, { min: 1, integer: true });
  const blockHash = f['block-hash'] as string;
  const publicKey = f['public-key'] as string;
  const command = `llama-gpu-bench bench ${argv.join(' ')}`;
  const timestamp = new Date().toISOString();

  const t0 = performance.now();
  const engine = await Engine.open({ backend: parseBackend(f.backend, 'auto'), threads, memoryLimitGb });
  try {
    if (engine.cudaUnavailableReason) log(`bench: CUDA not used: ${engine.cudaUnavailableReason}`);
    const load = await engine.load(blockHash, params);
    for (const s of engine.skipped) log(`bench: skipped ${s.info.name}: ${s.reason}`);
    const devices = engine.devices;
    const batchOf = (d: EngineDevice) => batchOverride || Math.max(1, d.preferredBatch);
    const progress = new Progress();
    const m = await measure(devices, { publicKey, rTarget, seconds, runs, warmupSeconds, batchOf, startedAt: t0, progress });
    const coldStart = Math.max(...m.devices.map((d) => d.coldStartS));

    const flops = flopsPerNonce(params);
    const peaks = await Promise.all(devices.map((d) => devicePeak(d, gemmSize)));
    const memory = devices.map((d) => d.memory());
    const perDevice = devices.map((d, i) => {
      const rates = m.devices[i].runs.map((run) => run.nonces / run.seconds);
      const noncesPerS = median(rates);
      return { batch: batchOf(d), noncesPerS, runs: rates, tflops: (noncesPerS * flops) / 1e12, peak: peaks[i],
        memoryPeak: memory[i].peak };
    });
    const runTotals = m.runSeconds.map((_, r) => m.devices.reduce((a, d) => a + d.runs[r].nonces / d.runs[r].seconds, 0));
    const all = m.devices.flatMap((d) => d.runs);
    const summary = {
      preset, params, backend: engine.backend,
      devices: devices.map((d, i) => ({
        device: d.info.name, backend: d.info.backend, index: d.info.index, batch: perDevice[i].batch,
        nonces_per_s: round(perDevice[i].noncesPerS, 3), runs_nonces_per_s: perDevice[i].runs.map((x) => round(x, 3)),
        tflops: round(perDevice[i].tflops, 3), peak_tflops: round(peaks[i].tflops, 2), peak_kind: peaks[i].detail,
        percent_of_peak: round((100 * perDevice[i].tflops) / peaks[i].tflops, 1),
        memory_peak_bytes: memory[i].peak, memory_in_use_bytes: memory[i].inUse,
      })),
      nonces_per_s: round(median(runTotals), 3), flops_per_nonce: flops, seconds_per_run: seconds, runs,
      warmup_s: warmupSeconds, cold_start_s: round(coldStart, 2), memory_limit_gb: memoryLimitGb || undefined,
      model_load_s: round(load.seconds, 2), r_target: rTarget,
      valid: all.reduce((a, x) => a + x.valid, 0), computed: all.reduce((a, x) => a + x.nonces, 0),
      machine: machineDescription(), date: timestamp, command,
      report: undefined as { json: string; html: string; valid: boolean } | undefined,
    };
    printTable(summary);

    if (f.report !== undefined) {
      const spot = await spotCheck(engine, spread(m.devices.map((d) => d.samples), spotNonces), {
        blockHash, publicKey, params, threads, capSeconds: spotSeconds, count: spotNonces, progress,
      });
      const report = buildReport({
        command, timestamp, infos: devices.map((d) => d.info), measurement: m, perDevice, spot,
        scenario: { preset, params, flops_per_nonce: flops, block_hash: blockHash, public_key: publicKey, r_target: rTarget,
          seconds_per_run: seconds, runs, warmup_s: warmupSeconds, min_seconds: minSeconds },
        total: { nonces_per_s: summary.nonces_per_s, computed: summary.computed, valid: summary.valid,
          model_load_s: summary.model_load_s, cold_start_s: summary.cold_start_s },
      });
      summary.report = { ...writeReport(f.report, report), valid: report.validity.valid };
      log(`bench: ${report.validity.valid ? 'a valid run' : 'NOT a valid run (see its validity table)'}; ` +
        `report in ${summary.report.json} and ${summary.report.html}`);
    }
    if (f.json) printJson(summary);
    if (f.record) {
      for (const d of summary.devices) {
        appendBenchmarkRow({
          date: summary.date.slice(0, 10), preset, backend: d.backend, device: shortDeviceName(d.device),
          throughput: `${d.nonces_per_s} nonces/s`,
          ratio: `${d.percent_of_peak}% of ${d.peak_kind}`,
          extra: `${d.tflops} TFLOP/s; batch ${d.batch}; cold start ${summary.cold_start_s} s; ` +
            `peak mem ${(d.memory_peak_bytes / 2 ** 30).toFixed(2)} GiB; median of ${runs}×${seconds} s`,
          machine: summary.machine, command: summary.command,
        });
      }
      log('bench: row appended to BENCHMARKS.md');
    }
  } finally {
    await engine.close();
  }
}

function printTable(s: { preset: string; backend: string; nonces_per_s: number; cold_start_s: number;
  devices: { device: string; batch: number; nonces_per_s: number; tflops: number; percent_of_peak: number; peak_kind: string }[] }): void {
  log(`\npreset ${s.preset}, backend ${s.backend}, cold start ${s.cold_start_s} s`);
  log('device                          batch   nonces/s    TFLOP/s   % of peak');
  for (const d of s.devices) {
    log(`${d.device.padEnd(30).slice(0, 30)}  ${String(d.batch).padStart(5)}  ${d.nonces_per_s.toFixed(3).padStart(9)}  ` +
      `${d.tflops.toFixed(3).padStart(9)}  ${d.percent_of_peak.toFixed(1).padStart(9)}`);
  }
  if (s.devices.length > 1) log(`total: ${s.nonces_per_s.toFixed(3)} nonces/s`);
  log(`peak: ${s.devices.map((d) => d.peak_kind).join('; ')}`);
}
