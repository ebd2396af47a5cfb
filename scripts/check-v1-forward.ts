// Full-scale check of the CPU forward: the four PARAMS_V1 nonces of addon/test/golden/v1_forward.json (2.97 B
// parameters, seq_len 128, about 0.73 TFLOP per nonce) must come within 2e-5 of the reference's fp16-emulated
// distances. Prints a table on stderr (ours next to the reference's recorded CPU time) and one JSON object on
// stdout; exits 1 when a distance is out of tolerance.
//
//   npm run check:v1-forward [-- --threads N --runs R]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine, PRESETS, flopsPerNonce } from '../addon/lib/index.js';

const TOLERANCE = 2e-5;
const ROOT = path.resolve(__dirname, '../..');

interface V1Forward {
  block_hash: string;
  public_key: string;
  nonces: number[];
  dist_fp16_emulated: number[];
  logits_last_fp16_emulated_first16: number[][];
  reference_cpu_seconds: { build: number; forward_cpu_fp16_emulated: number; nonces: number };
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name}: expected a non-negative integer`);
  return v;
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f, m = h & 0x3ff;
  return sign * (e ? (1 + m / 1024) * 2 ** (e - 15) : m * 2 ** -24);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<number> {
  const g = JSON.parse(readFileSync(path.join(ROOT, 'addon/test/golden/v1_forward.json'), 'utf8')) as V1Forward;
  const threads = option('threads', 0), runs = Math.max(1, option('runs', 1));
  const engine = await Engine.open({ backend: 'cpu', threads });
  try {
    const built = await engine.load(g.block_hash, PRESETS.v1);
    const device = engine.devices[0];
    process.stderr.write(`PARAMS_V1 built and loaded in ${built.seconds.toFixed(1)} s on ${device.info.name}; ` +
      `batch ${device.preferredBatch}\n`);
    const times: number[] = [], cpuTimes: number[] = [];
    let result: Awaited<ReturnType<typeof device.run>> | undefined;
    for (let r = 0; r < runs; r++) {
      const started = performance.now(), cpu = process.cpuUsage();
      result = await device.run(g.public_key, g.nonces, { logits: true });
      times.push((performance.now() - started) / 1000);
      const used = process.cpuUsage(cpu);
      cpuTimes.push((used.user + used.system) / 1e6);
    }
    if (!result) throw new Error('no run');
    const logits = result.logits as Uint16Array, dist = result.dist;
    const vocab = PRESETS.v1.vocab_size;
    const rows = g.nonces.map((n, i) => {
      const first16 = Array.from(logits.subarray(i * vocab, i * vocab + 16), halfToNumber);
      return {
        nonce: n,
        dist: dist[i],
        reference: g.dist_fp16_emulated[i],
        diff: dist[i] - g.dist_fp16_emulated[i],
        first16LogitsDiffering: first16.filter((v, k) => v !== g.logits_last_fp16_emulated_first16[i][k]).length,
      };
    });
    const secondsPerNonce = median(times) / g.nonces.length;
    const ref = g.reference_cpu_seconds.forward_cpu_fp16_emulated / g.reference_cpu_seconds.nonces;
    const maxAbsDiff = Math.max(...rows.map((r) => Math.abs(r.diff)));
    const pass = maxAbsDiff <= TOLERANCE;

    process.stderr.write('nonce  distance            reference           diff       first-16 logits differing\n');
    for (const r of rows) {
      process.stderr.write(`${String(r.nonce).padEnd(6)} ${r.dist.toFixed(15)}   ${r.reference.toFixed(15)}   ` +
        `${r.diff.toExponential(2).padStart(9)}  ${r.first16LogitsDiffering}\n`);
    }
    const tflops = flopsPerNonce(PRESETS.v1) / secondsPerNonce / 1e12;
    // CPU seconds say how much of the machine we got: on a shared machine wall time alone misleads.
    const cpuPerNonce = median(cpuTimes) / g.nonces.length;
    process.stderr.write(`max |diff| ${maxAbsDiff.toExponential(2)} (tolerance ${TOLERANCE}): ${pass ? 'PASS' : 'FAIL'}\n`);
    process.stderr.write(`time per nonce: ${secondsPerNonce.toFixed(2)} s (median of ${runs} run(s) of ` +
      `${g.nonces.length} nonces, ${(tflops * 1000).toFixed(1)} GFLOP/s) vs the reference's ${ref.toFixed(2)} s ` +
      `(${(ref / secondsPerNonce).toFixed(2)}x); ${cpuPerNonce.toFixed(2)} CPU-seconds per nonce\n`);
    process.stdout.write(`${JSON.stringify({
      params: 'PARAMS_V1', nonces: g.nonces, dist: rows.map((r) => r.dist), reference: g.dist_fp16_emulated,
      maxAbsDiff, tolerance: TOLERANCE, pass, secondsPerNonce, runs: times, cpuSecondsPerNonce: cpuPerNonce,
      referenceSecondsPerNonce: ref,
      threads: device.info.threads, cpu: os.cpus()[0]?.model ?? 'unknown', batch: device.preferredBatch,
      buildSeconds: built.seconds,
    })}\n`);
    return pass ? 0 : 1;
  } finally {
    await engine.close();
  }
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`check-v1-forward: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
