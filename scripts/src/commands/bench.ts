// `llama-gpu-bench bench`: nonces/s on a stream of nonces, per device and in total, against a stated peak.
// Cold start = block hash to first batch (host model + device load + one batch). Median of --runs timed runs.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Engine, type EngineDevice, flopsPerNonce, loadNative, parseParamsArg, PRESETS, SAMPLE_JOB, streamNonces } from '../../../addon/lib/index.js';
import { parseBackend, parseFlags, parseNumber } from '../args.js';
import { appendBenchmarkRow } from '../benchmarks-file.js';
import { log, printJson, Progress } from '../output.js';
import { withDeadline } from '../../../common/src/deadline.js';


interface DeviceRun {
  nonces: number;
  valid: number;
  seconds: number;
}

export const benchUsage = `usage: llama-gpu-bench bench [--params tiny|v1|v2|JSON] [--backend auto|cpu|cuda] [--seconds S] [--runs N]
         [--batch N] [--threads N] [--json] [--record] [--memory-limit-gb G]

Throughput on a stream of nonces (the server's), per device and in total: nonces/s, TFLOP/s and % of the device's
peak (CUDA: the fp16 GEMM peak measured in the same run; CPU: a nominal AVX2 peak), cold start, peak memory. A table
on stderr.

  --params P       a preset (default tiny) or a job's params JSON
  --backend B      auto (default: every CUDA device, else the CPU), cpu or cuda
  --seconds S      seconds per timed run (default 10); --runs N: timed runs, the median is reported (default 3)
  --batch N        batch size per device (default: each device's preferred batch)
  --json           the result as one JSON object on stdout
  --record         appends a row to BENCHMARKS.md
  --memory-limit-gb G   plan each CUDA device's memory as if it had G GiB
  --block-hash H, --public-key PK, --r-target R, --gemm-size N   the job and the peak's GEMM size
`;

export async function benchCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, {
    params: { type: 'string', default: 'tiny' },
    backend: { type: 'string' },
    seconds: { type: 'string' },
    runs: { type: 'string' },
    batch: { type: 'string' },
    threads: { type: 'string' },
    'block-hash': { type: 'string', default: SAMPLE_JOB.blockHash },
    'public-key': { type: 'string', default: SAMPLE_JOB.publicKey },
    'r-target': { type: 'string' },
    'gemm-size': { type: 'string' },
    'memory-limit-gb': { type: 'string' },
    json: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
  });
  const paramsArg = f.params as string;
  const params = parseParamsArg(paramsArg);
  const preset = Object.keys(PRESETS).find((k) => k === paramsArg) ?? 'custom';
  const seconds = parseNumber(f.seconds, '--seconds', 10, { min: 0.1 });
  const runs = parseNumber(f.runs, '--runs', 3, { min: 1, integer: true });
  const batchOverride = parseNumber(f.batch, '--batch', 0, { min: 0, integer: true });
  const threads = parseNumber(f.threads, '--threads', 0, { min: 0, integer: true });
  const rTarget = parseNumber(f['r-target'], '--r-target', SAMPLE_JOB.mainnetRTarget, { min: 0 });
  const gemmSize = parseNumber(f['gemm-size'], '--gemm-size', 8192, { min: 256, integer: true });
  const memoryLimitGb = parseNumber(f['memory-limit-gb'], '--memory-limit-gb', 0, { min: 0 });
  const publicKey = f['public-key'] as string;

  const t0 = performance.now();
  const engine = await Engine.open({ backend: parseBackend(f.backend, 'auto'), threads, memoryLimitGb });
  try {
    if (engine.cudaUnavailableReason) log(`bench: CUDA not used: ${engine.cudaUnavailableReason}`);
    const load = await engine.load(f['block-hash'] as string, params);
    for (const s of engine.skipped) log(`bench: skipped ${s.info.name}: ${s.reason}`);
    const devices = engine.devices;
    const batchOf = (d: EngineDevice) => batchOverride || Math.max(1, d.preferredBatch);
    let nonce = 0;
    const take = (n: number) => Array.from({ length: n }, () => nonce++);
    // Cold start: the first batch of every device, right after the load.
    await Promise.all(devices.map((d) => d.run(publicKey, take(batchOf(d)))));
    const coldStart = (performance.now() - t0) / 1000;

    // Timed runs on the same stream the server uses (streamNonces: pipelined batches on every device).
    const progress = new Progress();
    const perRun: DeviceRun[][] = [];
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      const result: DeviceRun[] = devices.map(() => ({ nonces: 0, valid: 0, seconds: 0 }));
      let total = 0;
      let valid = 0;
      await withDeadline(seconds * 1000, { what: 'bench run' }, (limit) => streamNonces(devices, {
        publicKey, startNonce: nonce, batchSize: batchOf, signal: limit.signal,
        onBatch: ({ worker, dist }) => {
          const run = result[worker];
          run.nonces += dist.length;
          total += dist.length;
          for (const x of dist) if (x < rTarget) { run.valid++; valid++; }
          run.seconds = (performance.now() - started) / 1000;
          progress.update(`run ${r + 1}/${runs}: ${(total / run.seconds).toFixed(2)} nonces/s, ${valid} valid, ` +
            `${run.seconds.toFixed(1)} s`);
        },
      }));
      nonce += 1_000_000_000; // fresh nonces for the next run
      perRun.push(result);
    }
    progress.done();

    const flops = flopsPerNonce(params);
    const peaks = await Promise.all(devices.map((d) => devicePeak(d, gemmSize)));
    const memory = await Promise.all(devices.map((d) => d.memory()));
    const perDevice = devices.map((d, i) => {
      const rates = perRun.map((run) => run[i].nonces / run[i].seconds);
      const noncesPerSecond = median(rates);
      const tflops = (noncesPerSecond * flops) / 1e12;
      return {
        device: d.info.name, backend: d.info.backend, index: d.info.index, batch: batchOf(d),
        nonces_per_s: round(noncesPerSecond, 3), runs_nonces_per_s: rates.map((x) => round(x, 3)),
        tflops: round(tflops, 3), peak_tflops: round(peaks[i].tflops, 2), peak_kind: peaks[i].kind,
        percent_of_peak: round((100 * tflops) / peaks[i].tflops, 1),
        memory_peak_bytes: memory[i].peak, memory_in_use_bytes: memory[i].inUse,
      };
    });
    const totalRate = median(perRun.map((run) => run.reduce((a, x) => a + x.nonces / x.seconds, 0)));
    const summary = {
      preset, params, backend: engine.backend, devices: perDevice, nonces_per_s: round(totalRate, 3),
      flops_per_nonce: flops, seconds_per_run: seconds, runs, cold_start_s: round(coldStart, 2),
      memory_limit_gb: memoryLimitGb || undefined,
      model_load_s: round(load.seconds, 2), r_target: rTarget,
      valid: perRun.flat().reduce((a, x) => a + x.valid, 0), computed: perRun.flat().reduce((a, x) => a + x.nonces, 0),
      machine: machineDescription(), date: new Date().toISOString(), command: `llama-gpu-bench bench ${argv.join(' ')}`,
    };
    printTable(summary);
    if (f.json) printJson(summary);
    if (f.record) {
      for (const d of perDevice) {
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

async function devicePeak(d: EngineDevice, size: number): Promise<{ tflops: number; kind: string }> {
  if (d.info.backend === 'cuda') {
    const tflops = await loadNative().measureGemmTflops(d.info.index, size, size, size);
    return { tflops, kind: `measured fp16 GEMM peak (${size}³ cuBLASLt, ${tflops.toFixed(0)} TFLOP/s)` };
  }
  const ghz = cpuGhz();
  const tflops = (d.info.threads * ghz * 32) / 1000; // AVX2: 2 FMA pipes × 8 fp32 lanes × 2 FLOP per cycle
  return { tflops, kind: `nominal AVX2 fp32 peak (${d.info.threads} threads × ${ghz.toFixed(2)} GHz × 32)` };
}

function cpuGhz(): number {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return Number(m[1]) / 1000;
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return (os.cpus()[0]?.speed ?? 2000) / 1000;
}

function machineDescription(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
}

function shortDeviceName(name: string): string {
  const m = /\b(H100|H200|A100|A10G?|L40S?|L4|B200|RTX \d{4}\w*|A6000|V100|T4)\b/.exec(name);
  return m ? m[1] : name.startsWith('CPU') ? 'CPU' : name;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
