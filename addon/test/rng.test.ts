// numpy's random algorithms, bit-exact against addon/test/golden/rng.json (numpy 2.4.6): every item of the file.
// No tolerance anywhere: a single differing bit is a failure (see docs/rng.md).
import t from 'tap';
import { core, f32Bits, floatHex, fromHex, golden, sha256, sha256Int64 } from './core-helpers.js';

const G = golden('rng.json');
const C = core();

t.test('the compiled-in ziggurat tables are numpy 2.4.6\'s, entry for entry', async (t) => {
  const z = G.ziggurat_tables_numpy_2_4_6;
  const ours = C.zigguratTables();
  t.same(ours.ki, z.ki_double, 'ki');
  t.same(Array.from(ours.wi as Float64Array, floatHex), z.wi_double, 'wi');
  t.same(Array.from(ours.fi as Float64Array, floatHex), z.fi_double, 'fi');
  t.equal(floatHex(ours.r), z.ziggurat_nor_r);
  t.equal(floatHex(ours.invR), z.ziggurat_nor_inv_r);
});

for (const s of G.seeds) {
  const label = `"${s.seed_string}" with ${s.num_hashes} hash(es)`;
  t.test(`seeding ${label}: entropy, SeedSequence pool, generate_state and PCG64 state`, async (t) => {
    const info = C.seedInfo(s.seed_string, s.num_hashes);
    t.same(info.entropy, s.entropy_u32, 'entropy words');
    t.same(info.pool, s.seedseq_pool_u32, 'SeedSequence pool');
    t.same(info.stateU32, s.generate_state_u32_8, 'generate_state(8, uint32)');
    t.same(info.stateU64, s.generate_state_u64_4, 'generate_state(4, uint64)');
    t.equal(info.pcgState, s.pcg64_state);
    t.equal(info.pcgInc, s.pcg64_inc);
  });
  t.test(`raw draws ${label}: uint64, buffered uint32 (low half first), doubles`, async (t) => {
    t.same(C.draws(s.seed_string, s.num_hashes, 'u64', 8), s.next_uint64_first8);
    t.same(C.draws(s.seed_string, s.num_hashes, 'u64block', 8), s.next_uint64_first8, 'buffered word block');
    t.same(C.draws(s.seed_string, s.num_hashes, 'u32', 8), s.next_uint32_first8_fresh_generator);
    t.same(Array.from(C.draws(s.seed_string, s.num_hashes, 'double', 8) as Float64Array, floatHex),
      s.next_double_first8_fresh_generator);
  });
  t.test(`standard normals ${label}: float64, numpy fp16 (one rounding), torch fp16 (via float32)`, async (t) => {
    const z: Float64Array = C.standardNormal(s.seed_string, s.num_hashes, 64);
    t.same(Array.from(z, floatHex), s.standard_normal_first64_f64);
    t.same(Array.from(C.f16Numpy(z) as Uint16Array), s.standard_normal_first64_f16_numpy);
    t.same(Array.from(C.f16Torch(z) as Uint16Array), s.standard_normal_first64_f16_torch);
  });
}

t.test('PCG64 jump-ahead lands on the same words as drawing them one by one', async (t) => {
  const all: string[] = C.draws('abc_0', 4, 'u64', 1000);
  for (const k of [0, 1, 2, 63, 64, 65, 500, 991]) t.same(C.draws('abc_0', 4, 'u64', 9, k), all.slice(k, k + 9), `skip ${k}`);
  const wb: string[] = C.draws('abc_0', 4, 'u64block', 1000);
  t.same(wb, all, 'the 4-lane word block gives the same 1000 words');
});

t.test('1,000,000 standard normals of "abc_0": stream sha256, last value, path counts and words', async (t) => {
  const st = G.standard_normal_stream;
  const z: Float64Array = C.standardNormal(st.seed_string, st.num_hashes, st.count);
  t.equal(sha256(z), st.sha256_f64_le, 'sha256 of the float64 stream');
  t.equal(floatHex(z[st.count - 1]), st.last_value_f64);
  const p = C.normalPaths(st.seed_string, st.num_hashes, st.count);
  const counts = [0, 0, 0, 0];
  for (const c of p.path as Uint8Array) counts[c]++;
  t.same({ fast: counts[0], wedge: counts[1], tail: counts[2], fast_after_wedge_reject: counts[3] }, st.path_counts);
  t.equal(p.totalWords, st.total_uint64_words_consumed);
  const names = ['fast', 'wedge', 'tail', 'fast_after_wedge_reject'];
  for (const [kind, examples] of Object.entries(st.path_examples) as [string, any][]) { // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const e of examples) {
      t.equal(floatHex(z[e.index]), e.value_f64, `${kind} example ${e.index}: value`);
      t.equal(p.words[e.index], e.words_consumed, `${kind} example ${e.index}: words`);
      t.equal(names[p.path[e.index]], kind, `${kind} example ${e.index}: path (${e.detail})`);
    }
  }
});

t.test('the parallel stream equals numpy\'s sequence for any thread count, chunk size and margin', async (t) => {
  const st = G.standard_normal_stream;
  const configs = [
    { threads: 1, minParallel: 0 },
    { threads: 2 },
    { threads: 3, chunkWords: 100_000 },
    { threads: 2, chunkWords: 1000, minParallel: 0 },
    { threads: 4, chunkWords: 64, marginWords: 0, minParallel: 0 },
    { threads: 3, chunkWords: 7, marginWords: 0, minParallel: 0 },
    { threads: 2, chunkWords: 3, marginWords: 1, minParallel: 0 },
    { threads: 4, chunkWords: 1, marginWords: 0, minParallel: 0 }, // every chunk one word: stitches everywhere
  ];
  let fallbacks = 0;
  for (const opt of configs) {
    const r = C.normalStream(st.seed_string, st.num_hashes, st.count, opt);
    t.equal(sha256(r.values), st.sha256_f64_le, `sha256 with ${JSON.stringify(opt)} (${r.chunks} chunks)`);
    t.equal(r.words, st.total_uint64_words_consumed, `words consumed with ${JSON.stringify(opt)}`);
    fallbacks += r.fallbacks;
  }
  t.ok(fallbacks > 0, `the sequential re-decode fallback was exercised (${fallbacks} times)`);
  // Short runs and awkward counts (the last round is sized to what is left).
  const ref: Float64Array = C.standardNormal('abc_0', 4, 5000);
  for (const n of [0, 1, 2, 17, 4999]) {
    const r = C.normalStream('abc_0', 4, n, { threads: 2, chunkWords: 5, marginWords: 0, minParallel: 0 });
    t.same(Array.from(r.values as Float64Array), Array.from(ref.subarray(0, n)), `first ${n} values`);
  }
});

t.test('float16 conversions of 1,000,000 normals: numpy direct, via float32, torch; differing examples', async (t) => {
  const f = G.float16_conversion;
  const z: Float64Array = C.standardNormal(f.seed_string, f.num_hashes, f.count);
  const direct: Uint16Array = C.f16Numpy(z);
  const torch: Uint16Array = C.f16Torch(z);
  const viaF32: Uint16Array = C.f16FromF32(C.f32(z));
  t.equal(sha256(direct), f.sha256_f16_numpy_direct_le, 'numpy: one rounding');
  t.equal(sha256(viaF32), f.sha256_f16_via_f32_le, 'float32 then float16');
  t.equal(sha256(torch), f.sha256_f16_torch_le, 'torch: double rounding');
  let differ = 0;
  for (let i = 0; i < direct.length; i++) if (direct[i] !== torch[i]) differ++;
  t.equal(differ, f.n_direct_vs_via_f32_differ);
  const f32 = new Uint32Array((C.f32(z) as Float32Array).buffer);
  for (const e of f.examples) {
    t.equal(floatHex(z[e.index]), e.f64, `example ${e.index}: value`);
    t.equal(direct[e.index], e.f16_numpy_direct, `example ${e.index}: numpy`);
    t.equal(torch[e.index], e.f16_via_f32, `example ${e.index}: via float32`);
    t.equal(f32[e.index], e.f32_bits, `example ${e.index}: float32`);
  }
});

t.test('float16 converter edge cases: zeros, ties, subnormals, overflow, rounding carries', async (t) => {
  const cases = G.float16_conversion.edge_cases;
  const x = Float64Array.from(cases, (c: { f64: string }) => fromHex(c.f64));
  const f32 = f32Bits(C.f32(x));
  const direct: Uint16Array = C.f16Numpy(x), torch: Uint16Array = C.f16Torch(x);
  cases.forEach((c: { f64: string; f16_numpy_direct: number; f16_via_f32: number; f32_bits: number }, i: number) => {
    t.equal(floatHex(x[i]), c.f64, `${c.f64} parses exactly`);
    t.equal(direct[i], c.f16_numpy_direct, `${c.f64} numpy`);
    t.equal(torch[i], c.f16_via_f32, `${c.f64} torch`);
    t.equal(f32[i], c.f32_bits, `${c.f64} float32`);
  });
});

t.test('fp16 and bf16 from float32 round to nearest even and keep subnormals', async (t) => {
  // Every fp16 value survives fp16 -> float32 -> fp16 (NaNs become the quiet NaN 0x7e00 with their sign).
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const back: Uint16Array = C.f16FromF32(C.halfToFloat(all));
  let mismatches = 0;
  for (let i = 0; i < 65536; i++) {
    const isNan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (back[i] !== (isNan ? (i & 0x8000) | 0x7e00 : i)) mismatches++;
  }
  t.equal(mismatches, 0, 'all 65536 fp16 patterns round-trip');
  const f = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 2 ** -25 * 1.5, 65519.99, 65520, -0, 2 ** -24 * 0.75]);
  t.same(Array.from(C.f16FromF32(f) as Uint16Array), [0x3c00, 0x3c02, 0x0000, 0x0001, 0x7bff, 0x7c00, 0x8000, 0x0001]);
  const b = new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -(2 ** -132), NaN]);
  t.same(Array.from(C.bf16FromF32(b) as Uint16Array), [0x3f80, 0x3f80, 0x3f82, 0x8000 | 0x0002, 0x7fc0]);
});

for (const p of G.permutations) {
  t.test(`permutations of "${p.seed_string}": n = 8, 10, 37 in full, 8196 and 128256 by ends and sha256`, async (t) => {
    const perm = (n: number): Int32Array => C.permutation(p.seed_string, p.num_hashes, n).perm;
    t.same(Array.from(perm(8)), p.perm_8);
    t.same(Array.from(perm(10)), p.perm_10);
    t.same(Array.from(perm(37)), p.perm_37);
    for (const n of [8196, 128256]) {
      const v = perm(n);
      t.same(Array.from(v.subarray(0, 64)), p[`perm_${n}_first64`], `${n}: first 64`);
      t.same(Array.from(v.subarray(n - 64)), p[`perm_${n}_last64`], `${n}: last 64`);
      t.equal(sha256Int64(v), p[`perm_${n}_sha256_int64_le`], `${n}: sha256 of int64 LE`);
    }
  });
}

t.test('permutation leaves an odd 32-bit draw buffered for the next 32-bit user; n = 0 and 1 draw nothing', async (t) => {
  const u32: number[] = C.draws('abc_0', 1, 'u32', 8);
  const p0 = C.permutation('abc_0', 1, 0, 2), p1 = C.permutation('abc_0', 1, 1, 2);
  t.same(p0.nextU32, u32.slice(0, 2), 'permutation(0) consumed nothing');
  t.same(p1.nextU32, u32.slice(0, 2), 'permutation(1) consumed nothing');
  const p2 = C.permutation('abc_0', 1, 2, 1);
  t.equal(p2.hasUint32, true, 'after permutation(2) the high half is buffered');
  t.equal(p2.nextU32[0], u32[1], 'and is the next 32-bit draw');
});

t.test('input embeddings (1, 4, 8) of "a3f1_pk1_nonce{0..3}": float64, numpy fp16, torch fp16', async (t) => {
  G.input_embeddings.forEach((e: any, n: number) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const z: Float64Array = C.standardNormal(e.seed_string, e.num_hashes, 32);
    t.same(Array.from(z, floatHex), e.f64, `${e.seed_string} f64`);
    t.same(Array.from(C.f16Numpy(z) as Uint16Array), e.f16_numpy, `${e.seed_string} numpy fp16`);
    t.same(Array.from(C.f16Torch(z) as Uint16Array), e.f16_torch, `${e.seed_string} torch fp16`);
    t.equal(e.seed_string, `a3f1_pk1_nonce${n}`);
    t.same(Array.from(C.nonceInput('a3f1', 'pk1', n, 4, 8) as Uint16Array), e.f16_torch, `nonce_input(${n})`);
  });
});

t.test('unit target of "a3f1_target" for V = 37, 8196, 128256: norm (pairwise sum) and values', async (t) => {
  const g = G.target;
  const t37 = C.unitTarget('a3f1', 37);
  t.equal(floatHex(t37.norm), g.vocab_37.norm_f64);
  t.same(Array.from(t37.unit as Float64Array, floatHex), g.vocab_37.unit_f64);
  for (const v of [8196, 128256]) {
    const r = C.unitTarget('a3f1', v), gv = g[`vocab_${v}`];
    t.equal(floatHex(r.norm), gv.norm_f64, `${v}: norm`);
    t.same(Array.from((r.unit as Float64Array).subarray(0, 16), floatHex), gv.unit_first16_f64, `${v}: first 16`);
    t.equal(sha256(r.unit), gv.unit_sha256_f64_le, `${v}: sha256`);
  }
});

t.test('pairwise summation follows numpy\'s blocks (a sequential sum differs)', async (t) => {
  const x = Float64Array.from({ length: 1000 }, (_, i) => 1 / (i + 1) ** 1.5 * (i % 3 === 0 ? -1 : 1) + 1e-3 * i);
  const seq = x.reduce((a, b) => a + b, 0);
  const ours: number = C.pairwiseSum(x);
  const halves = (a: Float64Array): number => { // numpy's recursion written out in JS
    const n = a.length;
    if (n < 8) { let r = -0; for (const v of a) r += v; return r; }
    if (n <= 128) {
      const r = Array.from(a.subarray(0, 8));
      let i = 8;
      for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k] += a[i + k];
      let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) res += a[i];
      return res;
    }
    let m = Math.floor(n / 2); m -= m % 8;
    return halves(a.subarray(0, m)) + halves(a.subarray(m));
  };
  t.equal(ours, halves(x));
  t.not(ours, seq, 'this input tells the orders apart');
});

t.test('weight pool of "a3f1", N = 50000: float64 before the cast, float32 bits, fp16 from float32', async (t) => {
  const w = G.weight_pool;
  const f64: Float64Array = C.normal(w.seed_string, w.num_hashes, 0.0, 0.02, w.N);
  t.same(Array.from(f64.subarray(0, 8), floatHex), w.first8_f64_before_cast);
  t.equal(sha256(f64), w.sha256_f64_le_before_cast);
  for (const threads of [1, 2, 3]) {
    const f32: Float32Array = C.normalF32(w.seed_string, w.num_hashes, 0.0, 0.02, w.N, threads);
    t.same(f32Bits(f32).slice(0, 32), w.first32_f32_bits, `first 32 float32 (${threads} threads)`);
    t.same(f32Bits(f32).slice(-32), w.last32_f32_bits, `last 32 float32 (${threads} threads)`);
    t.equal(sha256(f32), w.sha256_f32_le, `sha256 float32 (${threads} threads)`);
  }
  const f16: Uint16Array = C.poolPrefix(w.seed_string, w.N, 2);
  t.same(Array.from(f16.subarray(0, 32)), w.first32_f16_bits_from_f32, 'the engine\'s fp16 pool');
  t.equal(sha256(f16), sha256(C.f16FromF32(C.normalF32(w.seed_string, w.num_hashes, 0.0, 0.02, w.N, 1))),
    'fp16 pool = fp16(float32 pool) everywhere');
});

t.test('SHA-256: the SHA-NI path (when present) and the portable one agree at every length', async (t) => {
  const buf = new Uint8Array(4099);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  for (let n = 0; n <= buf.length; n += n < 200 ? 1 : 61) {
    const v = buf.subarray(0, n);
    const want = sha256(v);
    if (C.sha256Hex(v) !== want || C.sha256PortableHex(v) !== want) t.fail(`length ${n}`);
  }
  t.equal(C.sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.pass(`all lengths agree (SHA-NI in use: ${C.sha256UsesShani()})`);
});
