// The CUDA backend's correctness check, for a GPU machine: every golden case of poc_public.json and the
// four full-scale PARAMS_V1 nonces of v1_forward.json against `dist_fp16_emulated`, then CUDA against the CPU
// backend on 16 nonces of PARAMS_V1 and 16 of the PARAMS_V2 shape with seq_len 16, run on the GPU alone and as
// the first 16 of a full batch. Bounds (docs/poc-compute.md §8): two
// fp16 implementations that differ only in summation order land within 1e-4 per nonce and ~3e-6 on average, so
// each comparison needs max |Δ| <= 1e-4 and mean |Δ| <= 1e-5.
//
// Without a CUDA device: prints the reason, writes {"skipped": true, ...} and exits 0. Any failure exits 1.
// Output: a JSON report on stdout (and in --json FILE); progress on stderr.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Engine, loadNative, parseParams, PRESETS, SAMPLE_JOB } from '../../lib/index.js';
import type { ModelParams } from '../../lib/index.js';

const MAX_ABS = 1e-4;
const MAX_MEAN = 1e-5;
// Compiled to dist/addon/test/gpu/; the golden vectors stay in the source tree (addon/test/golden/).
const GOLDEN = path.resolve(__dirname, '../../../../addon/test/golden');
const BLOCK_HASH = SAMPLE_JOB.blockHash;
const PUBLIC_KEY = SAMPLE_JOB.publicKey;

interface Check {
  name: string;
  nonces: number;
  max_abs: number;
  mean_abs: number;
  pass: boolean;
  seconds: number;
  note?: string;
}

interface GoldenCase {
  name: string;
  block_hash: string;
  public_key: string;
  params: unknown;
  nonces: number[];
  dist_fp16_emulated: number[];
  logits_nonces: number[];
  logits_last_fp16_emulated: number[][];
}

function log(msg: string): void {
  process.stderr.write(`gpu-check: ${msg}\n`);
}

function compare(name: string, got: ArrayLike<number>, want: ArrayLike<number>, seconds: number, note?: string): Check {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    max = Number.isNaN(d) ? Infinity : Math.max(max, d);
    sum += d;
  }
  const mean = sum / want.length;
  const pass = got.length === want.length && max <= MAX_ABS && mean <= MAX_MEAN;
  log(`${pass ? 'ok  ' : 'FAIL'} ${name}: ${want.length} nonces, max |Δ| ${max.toExponential(2)}, ` +
    `mean |Δ| ${mean.toExponential(2)} (${seconds.toFixed(1)} s)${note ? `; ${note}` : ''}`);
  return { name, nonces: want.length, max_abs: max, mean_abs: mean, pass, seconds, ...(note ? { note } : {}) };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

async function runOn(engine: Engine, blockHash: string, params: ModelParams, publicKey: string, nonces: number[],
  logits = false): Promise<{ dist: Float64Array; logits?: Uint16Array; seconds: number }> {
  await engine.load(blockHash, params);
  const t = performance.now();
  const r = await engine.devices[0].run(publicKey, nonces, { logits });
  return { ...r, seconds: (performance.now() - t) / 1000 };
}

async function goldenChecks(engine: Engine): Promise<Check[]> {
  const checks: Check[] = [];
  const poc = JSON.parse(readFileSync(path.join(GOLDEN, 'poc_public.json'), 'utf8')) as { cases: GoldenCase[] };
  for (const c of poc.cases) {
    const r = await runOn(engine, c.block_hash, parseParams(c.params), c.public_key, c.nonces, true);
    // The logits of the golden's logit nonces, as information (the distances are the criterion).
    const vocab = (parseParams(c.params)).vocab_size;
    let logitMax = 0;
    c.logits_nonces.forEach((n, li) => {
      const row = c.nonces.indexOf(n);
      if (row < 0 || !r.logits) return;
      c.logits_last_fp16_emulated[li].forEach((want, j) => {
        logitMax = Math.max(logitMax, Math.abs(halfToFloat(r.logits![row * vocab + j]) - want));
      });
    });
    checks.push(compare(`golden ${c.name}`, r.dist, c.dist_fp16_emulated, r.seconds,
      `logits max |Δ| ${logitMax.toExponential(2)}`));
  }
  const v1 = JSON.parse(readFileSync(path.join(GOLDEN, 'v1_forward.json'), 'utf8')) as {
    block_hash: string; public_key: string; nonces: number[]; dist_fp16_emulated: number[];
  };
  const r = await runOn(engine, v1.block_hash, { ...PRESETS.v1 }, v1.public_key, v1.nonces);
  checks.push(compare('golden v1_forward (PARAMS_V1)', r.dist, v1.dist_fp16_emulated, r.seconds));
  return checks;
}

async function cpuChecks(cuda: Engine): Promise<Check[]> {
  const nonces = Array.from({ length: 16 }, (_, i) => i);
  const shapes: [string, ModelParams][] = [
    ['PARAMS_V1', { ...PRESETS.v1 }],
    ['PARAMS_V2 shape, seq_len 16', { ...PRESETS.v2, seq_len: 16 }],
  ];
  const checks: Check[] = [];
  for (const [name, params] of shapes) {
    const g = await runOn(cuda, BLOCK_HASH, params, PUBLIC_KEY, nonces);
    // A full batch takes the tuned GEMM algorithms (cuda/gemm.h), a partial one the heuristic's first pick: check
    // both (the first 16 nonces of a full batch are the same 16 nonces).
    const full = Math.max(cuda.devices[0].preferredBatch, nonces.length);
    const f = await runOn(cuda, BLOCK_HASH, params, PUBLIC_KEY, Array.from({ length: full }, (_, i) => i));
    // A fresh CPU engine per shape, closed after: the host keeps one CPU model at a time.
    const cpu = await Engine.open({ backend: 'cpu' });
    try {
      const c = await runOn(cpu, BLOCK_HASH, params, PUBLIC_KEY, nonces);
      checks.push(compare(`CUDA vs CPU ${name}`, g.dist, c.dist, g.seconds, `CPU ${c.seconds.toFixed(1)} s`));
      checks.push(compare(`CUDA full batch of ${full} (tuned GEMMs) vs CPU ${name}`, f.dist.subarray(0, nonces.length),
        c.dist, f.seconds));
      // One call of several batches (the device splits it and makes the next batch's inputs while one computes):
      // the full batch again, then the 16 nonces as a partial last batch, each as when run alone.
      const many = [...Array.from({ length: full }, (_, i) => i), ...Array.from({ length: full }, (_, i) => i), ...nonces];
      const m = await runOn(cuda, BLOCK_HASH, params, PUBLIC_KEY, many);
      checks.push(compare(`CUDA one call of ${many.length} nonces vs single calls ${name}`, m.dist,
        [...f.dist, ...f.dist, ...g.dist], m.seconds));
      checks.push(compare(`CUDA one call of ${many.length} nonces, last partial batch vs CPU ${name}`,
        m.dist.subarray(2 * full), c.dist, m.seconds));
    } finally {
      await cpu.close();
    }
  }
  return checks;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  const emit = (report: object): void => {
    const text = JSON.stringify(report, null, 1);
    process.stdout.write(`${text}\n`);
    if (jsonFile) writeFileSync(jsonFile, `${text}\n`);
  };

  // --backend cpu: the golden checks on the CPU backend (a dry run of this script on a machine without a GPU).
  if (args.includes('--backend') && args[args.indexOf('--backend') + 1] === 'cpu') {
    const cpu = await Engine.open({ backend: 'cpu' });
    try {
      const checks = await goldenChecks(cpu);
      const pass = checks.every((c) => c.pass);
      emit({ skipped: false, backend: 'cpu', pass, checks });
      return pass ? 0 : 1;
    } finally {
      await cpu.close();
    }
  }
  const listed = loadNative().listDevices('cuda');
  if (listed.devices.length === 0) {
    const reason = listed.reason ?? 'no CUDA device';
    log(`skipped: no CUDA device (${reason})`);
    emit({ skipped: true, reason });
    return 0;
  }
  const device = listed.devices[0];
  log(`device cuda:0 ${device.name} (${device.arch}, ${(device.totalMemory / 2 ** 30).toFixed(1)} GiB)`);
  const cuda = await Engine.open({ backend: 'cuda', devices: [device.index] });
  const checks: Check[] = [];
  try {
    if (!args.includes('--cpu-only')) checks.push(...(await goldenChecks(cuda)));
    if (!args.includes('--golden-only')) checks.push(...(await cpuChecks(cuda)));
  } finally {
    await cuda.close();
  }
  const pass = checks.every((c) => c.pass);
  emit({ skipped: false, pass, device, bounds: { max_abs: MAX_ABS, mean_abs: MAX_MEAN }, checks });
  log(pass ? 'all checks passed' : 'SOME CHECKS FAILED');
  return pass ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  log(`error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
