// The CPU backend's determinism contract: a nonce's distance and logits are the same bits whatever batch it is in,
// whatever its companions and however many threads run it; and the SIMD kernels (AVX2/FMA/F16C) give the same
// bits as the portable ones, so machines without AVX2 agree too.
import t from 'tap';
import './test-addon.js';
import { Engine, loadNative, parseParams } from '../lib/index.js';

const BLOCK = '005C2E3978768692556A88912DD0C44BA49F87001C41E815C1C010AEF25EFF56';
const KEY = '02b84b25628f800e36925811aa24aaf28c9f827333d2df990762b5c3a86eff7c9b';
// head_dim 28 (not a power of two), grouped-query attention (n_rep 2), an FFN wider than one GEMM k block (256).
const SHAPE = parseParams({ dim: 112, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 500, ffn_dim_multiplier: 1.0,
  multiple_of: 32, rope_theta: 10000, seq_len: 24 });
const NONCES = [0, 1, 2, 3, 7, 100, 12345, 999999];

interface Run { dist: number[]; logits: Uint16Array[] }

/** The test addon's CPU exports (addon/test/native/testing_cpu.cc). */
interface CpuTesting {
  gemmKernelsAgree(m: number, n: number, k: number, threads: number, seed: number):
    { simd: boolean; mismatches: number; referenceMismatches: number; checked: number };
  roundFp16Agree(count: number, seed: number): { simd: boolean; mismatches: number; checked: number };
  siluAgree(count: number, seed: number): { simd: boolean; mismatches: number; checked: number };
}

function cpuTesting(): CpuTesting {
  const testing = (loadNative() as unknown as { testingCpu?: CpuTesting }).testingCpu;
  if (!testing) throw new Error('not the test addon (addon/test/test-addon.ts)');
  return testing;
}

async function runInBatches(threads: number, batch: number, nonces: number[]): Promise<Run> {
  const engine = await Engine.open({ backend: 'cpu', threads });
  try {
    await engine.load(BLOCK, SHAPE);
    const device = engine.devices[0];
    const out: Run = { dist: [], logits: [] };
    for (let i = 0; i < nonces.length; i += batch) {
      const r = await device.run(KEY, nonces.slice(i, i + batch), { logits: true });
      const logits = r.logits as Uint16Array;
      r.dist.forEach((d, k) => {
        out.dist.push(d);
        out.logits.push(logits.slice(k * SHAPE.vocab_size, (k + 1) * SHAPE.vocab_size));
      });
    }
    return out;
  } finally {
    await engine.close();
  }
}

t.test('a nonce gets the same bits with batch sizes 1, 3 and 8 and with 1 or 2 threads', async (t) => {
  const reference = await runInBatches(2, 8, NONCES);
  for (const threads of [1, 2]) {
    for (const batch of [1, 3, 8]) {
      const run = await runInBatches(threads, batch, NONCES);
      NONCES.forEach((n, i) => {
        t.ok(Object.is(run.dist[i], reference.dist[i]), `threads ${threads}, batch ${batch}, nonce ${n}: distance`);
        t.same(run.logits[i], reference.logits[i], `threads ${threads}, batch ${batch}, nonce ${n}: logits bits`);
      });
    }
  }
});

t.test('a nonce gets the same bits whatever its companions in the batch', async (t) => {
  const alone = await runInBatches(2, 1, [7]);
  const mixed = await runInBatches(2, 5, [999999, 7, 12345, 7, 0]);
  t.ok(Object.is(mixed.dist[1], alone.dist[0]));
  t.ok(Object.is(mixed.dist[3], alone.dist[0]), 'a duplicate in the same batch too');
  t.same(mixed.logits[1], alone.logits[0]);
});

t.test('the SIMD and portable GEMM kernels give the same bits, in the documented summation order', async (t) => {
  const testing = cpuTesting();
  // (rows, out features, in features): tails in every dimension, several k blocks, several workers.
  const shapes = [[1, 1, 1], [7, 17, 9], [13, 33, 300], [64, 100, 1000], [5, 300, 2600]];
  for (const [m, n, k] of shapes) {
    for (const threads of [1, 2]) {
      const r = testing.gemmKernelsAgree(m, n, k, threads, m * 1000 + k);
      t.equal(r.mismatches, 0, `${m}x${n}x${k}, ${threads} threads: ${r.checked} outputs identical (SIMD: ${r.simd})`);
      t.equal(r.referenceMismatches, 0, `${m}x${n}x${k}: sampled outputs equal gemm.h's blocked fma chains`);
    }
  }
});

t.test('fp16 rounding of arrays (F16C) equals the exact scalar conversion, ties and subnormals included', async (t) => {
  const r = cpuTesting().roundFp16Agree(2_000_000, 42);
  t.ok(r.checked > 2_000_000);
  t.equal(r.mismatches, 0, `${r.checked} values (SIMD: ${r.simd})`);
});

t.test('the SIMD silu (exp in double precision) equals the portable one, overflow and underflow included', async (t) => {
  const r = cpuTesting().siluAgree(1_000_000, 7);
  t.ok(r.checked > 1_000_000);
  t.equal(r.mismatches, 0, `${r.checked} values (SIMD: ${r.simd})`);
});
