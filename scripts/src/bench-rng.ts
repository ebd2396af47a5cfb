#!/usr/bin/env node
// bench:rng: normals/s of the engine's exact numpy generator (one thread and every thread) next to numpy's own,
// and with --v1-weights the PARAMS_V1 weight build + 291 digests (checked against the golden file when present).
// Every run also checks that our output equals numpy's (sha256). Table on stderr, one JSON object on stdout.
//
//   npm run bench:rng -- [--count 20000000] [--runs 3] [--threads N] [--v1-weights]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../../addon/lib/native.js';
import { parseFlags } from './args.js';

const SEED = 'bench-rng';
const V2 = { dim: 1792, n_layers: 64, n_heads: 64, n_kv_heads: 64, vocab_size: 8196, ffn_dim_multiplier: 10,
  multiple_of: 8192, norm_eps: 1e-5, rope_theta: 10000, use_scaled_rope: false, seq_len: 256 };
const V1 = { dim: 1024, n_layers: 32, n_heads: 32, n_kv_heads: 32, vocab_size: 8196, ffn_dim_multiplier: 10,
  multiple_of: 2048, norm_eps: 1e-5, rope_theta: 10000, use_scaled_rope: false, seq_len: 128 };

// numpy with the reference's get_rng seeding (docs/rng.md §1): median seconds and sha256 of the outputs.
const NUMPY = `
import hashlib, json, sys, time
import numpy as np
seed, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rng():
    e = np.concatenate([np.frombuffer(hashlib.sha256(f"{seed}_{i}".encode()).digest(), dtype=np.uint32) for i in range(4)])
    return np.random.default_rng(np.random.SeedSequence(e))
out = {"numpy": np.__version__}
for kind, f in (("f64", lambda r: r.standard_normal(n)),
                ("pool", lambda r: r.normal(0.0, 0.02, n).astype(np.float32).astype(np.float16))):
    ts = []
    for _ in range(runs):
        r = rng(); t0 = time.perf_counter(); v = f(r); ts.append(time.perf_counter() - t0)
    out[kind] = {"seconds": sorted(ts)[len(ts) // 2], "sha256": hashlib.sha256(v.tobytes()).hexdigest()}
print(json.dumps(out))
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function fmtRate(perSecond: number): string {
  return `${(perSecond / 1e6).toFixed(1)} M/s`;
}

function main(): void {
  const flags = parseFlags(process.argv.slice(2), {
    count: { type: 'string', default: '20000000' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '0' },
    'v1-weights': { type: 'boolean', default: false },
  });
  const count = Number(flags.count), runs = Number(flags.runs);
  const native = loadNative();
  const C = native.testing;
  const threads = Number(flags.threads) || native.hardwareThreads?.() || os.cpus().length;
  const loadBefore = os.loadavg()[0];

  const np = JSON.parse(execFileSync('python3', ['-c', NUMPY, SEED, String(count), String(runs)], { encoding: 'utf8' }));
  const rows: { what: string; threads: number | string; seconds: number; rate: number; vsNumpy: number; same: boolean }[] = [];
  const result: Record<string, unknown> = { date: new Date().toISOString(), count, runs, threads,
    cpu: os.cpus()[0]?.model ?? 'unknown', nproc: os.cpus().length, numpy: np.numpy };
  for (const kind of ['f64', 'pool'] as const) {
    const label = kind === 'f64' ? 'standard_normal (float64)' : 'weight pool (normal*0.02 -> f32 -> f16)';
    rows.push({ what: `numpy ${label}`, threads: 1, seconds: np[kind].seconds, rate: count / np[kind].seconds, vsNumpy: 1,
      same: true });
    for (const t of [...new Set([1, threads])]) {
      const times: number[] = [];
      let same = true;
      for (let r = 0; r < runs; r++) {
        const m = C.timeNormals(SEED, 4, count, t, kind);
        times.push(m.seconds);
        same &&= m.sha256 === np[kind].sha256;
      }
      const s = median(times);
      rows.push({ what: `ours ${label}`, threads: t, seconds: s, rate: count / s, vsNumpy: np[kind].seconds / s, same });
    }
  }
  result.normals = rows;

  // Per-nonce data of PARAMS_V2 (458,752 normals of input and a permutation of 8196 per nonce).
  const batch = 64;
  const inputs: { threads: number; seconds: number; noncesPerSecond: number }[] = [];
  for (const t of [...new Set([1, threads])]) {
    const s = median(Array.from({ length: runs }, () => C.timeBatchInputs('bench-rng', 'pk', V2, batch, t) as number));
    inputs.push({ threads: t, seconds: s, noncesPerSecond: batch / s });
  }
  result.v2Inputs = { batch, runs: inputs };

  if (flags['v1-weights']) {
    const goldenFile = path.resolve(__dirname, '../../../addon/test/golden/v1_weights.json');
    const golden = existsSync(goldenFile) ? JSON.parse(readFileSync(goldenFile, 'utf8')) : undefined;
    const hash = golden?.block_hash ?? '3f2a9c4e1b7d';
    const times: number[] = [], build: number[] = [], hashing: number[] = [];
    let matches: boolean | undefined;
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      const w = C.weightDigests(hash, V1, threads);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      build.push(w.buildSeconds);
      hashing.push(w.hashSeconds);
      if (golden) {
        matches = (matches ?? true) && w.weights.length === golden.weights.length &&
          w.weights.every((x: { sha256: string }, i: number) => x.sha256 === golden.weights[i].sha256_fp16_le);
      }
    }
    result.v1Weights = { seconds: median(times), runs: times, buildSeconds: median(build), hashSeconds: median(hashing),
      referenceSeconds: golden?.build_seconds_reference_cpu ?? 42.2, matchesGolden: matches ?? 'golden file not found' };
  }
  result.loadAverage = { before: loadBefore, after: os.loadavg()[0] };

  const lines = [`bench:rng — ${count.toLocaleString('en-US')} normals, median of ${runs}, ${result.nproc} x ${result.cpu}`,
    `${'what'.padEnd(52)}${'threads'.padStart(8)}${'median s'.padStart(10)}${'normals/s'.padStart(12)}${'vs numpy'.padStart(10)}  same`];
  for (const r of rows) {
    lines.push(`${r.what.padEnd(52)}${String(r.threads).padStart(8)}${r.seconds.toFixed(3).padStart(10)}` +
      `${fmtRate(r.rate).padStart(12)}${`${r.vsNumpy.toFixed(2)}x`.padStart(10)}  ${r.same ? 'yes' : 'NO'}`);
  }
  for (const r of inputs) {
    lines.push(`PARAMS_V2 inputs + permutations, batch of ${batch}, ${r.threads} thread(s): ${r.seconds.toFixed(3)} s median, ` +
      `${r.noncesPerSecond.toFixed(0)} nonces/s`);
  }
  if (result.v1Weights) {
    const v = result.v1Weights as { seconds: number; buildSeconds: number; hashSeconds: number; referenceSeconds: number;
      matchesGolden: unknown };
    lines.push(`PARAMS_V1 weights (pool + 291 sha256): ${v.seconds.toFixed(2)} s median (build ${v.buildSeconds.toFixed(2)} s,` +
      ` hash ${v.hashSeconds.toFixed(2)} s), ${(v.referenceSeconds / v.seconds).toFixed(1)}x the reference's ` +
      `${v.referenceSeconds} s; golden: ${String(v.matchesGolden)}`);
  }
  lines.push(`load average: ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`);
  process.stderr.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const allSame = rows.every((r) => r.same) && (result.v1Weights as { matchesGolden?: unknown } | undefined)?.matchesGolden !== false;
  if (!allSame) process.exitCode = 1;
}

main();
