// The engine core against addon/test/golden/poc_public.json (every weight, input, permutation and target digest of
// every case, including the tiled+rotated path of small-hd28) and the PARAMS_V2 values of docs/poc-compute.md §8b.
// Bit-exact: sha256 over the exact bytes, no tolerance.
import t from 'tap';
import { core, floatHex, golden, sha256, sha256Int64 } from './core-helpers.js';

const G = golden('poc_public.json');
const C = core();

for (const c of G.cases) {
  t.test(`${c.name}: FFN width, parameter count, and every weight's sha256 (fp16 LE)`, async (t) => {
    t.equal(C.validateParams(c.params).ffnHiddenDim, c.ffn_hidden_dim);
    const w = C.weightDigests(c.block_hash, c.params, 2);
    t.equal(w.totalNumel, c.total_params);
    t.equal(w.weights.length, c.weights.length);
    c.weights.forEach((g: { name: string; shape: number[]; sha256_fp16_le: string }, i: number) => {
      t.equal(w.weights[i].name, g.name, `parameter ${i} name`);
      t.same(w.weights[i].shape, g.shape, `${g.name} shape`);
      t.equal(w.weights[i].sha256, g.sha256_fp16_le, `${g.name} sha256`);
    });
    const tiled = C.placements(c.block_hash, c.params).params.filter((p: { sliced: boolean }) => !p.sliced).length;
    t.comment(`${tiled} parameter(s) on the tiled+rotated path`);
    if (c.name === 'small-hd28') t.ok(tiled > 0, 'small-hd28 exercises the tiled path');
  });

  t.test(`${c.name}: every input (fp16 via float32) and permutation digest, one nonce at a time`, async (t) => {
    const { seq_len: seq, dim, vocab_size: vocab } = c.params;
    for (const g of c.inputs) {
      const x: Uint16Array = C.nonceInput(c.block_hash, c.public_key, g.nonce, seq, dim);
      t.equal(sha256(x), g.sha256_fp16_le, `input of nonce ${g.nonce}`);
      t.same(Array.from(x.subarray(0, 8)), g.first8_fp16_bits, `input of nonce ${g.nonce}: first 8`);
    }
    for (const g of c.permutations) {
      const p: Int32Array = C.noncePermutation(c.block_hash, c.public_key, g.nonce, vocab);
      t.equal(sha256Int64(p), g.sha256_int64_le, `permutation of nonce ${g.nonce}`);
      t.same(Array.from(p.subarray(0, 8)), g.first8, `permutation of nonce ${g.nonce}: first 8`);
    }
  });

  t.test(`${c.name}: make_batch_inputs over all nonces (3 threads) gives the same digests, in order`, async (t) => {
    const { seq_len: seq, dim, vocab_size: vocab } = c.params;
    const nonces: number[] = c.inputs.map((g: { nonce: number }) => g.nonce);
    const b = C.batchInputs(c.block_hash, c.params, c.public_key, nonces, 3);
    c.inputs.forEach((g: { nonce: number; sha256_fp16_le: string }, i: number) =>
      t.equal(sha256((b.inputs as Uint16Array).subarray(i * seq * dim, (i + 1) * seq * dim)), g.sha256_fp16_le,
        `batch input ${i} (nonce ${g.nonce})`));
    const perms = new Map<number, string>(c.permutations.map((g: { nonce: number; sha256_int64_le: string }) =>
      [g.nonce, g.sha256_int64_le]));
    nonces.forEach((n, i) => {
      if (perms.has(n)) t.equal(sha256Int64((b.permutations as Int32Array).subarray(i * vocab, (i + 1) * vocab)),
        perms.get(n), `batch permutation ${i} (nonce ${n})`);
    });
  });

  t.test(`${c.name}: target sha256 (float64 LE) and first values`, async (t) => {
    const r = C.unitTarget(c.block_hash, c.params.vocab_size);
    t.equal(sha256(r.unit), c.target.sha256_f64_le);
    t.same(Array.from((r.unit as Float64Array).subarray(0, 8), floatHex), c.target.first8);
    t.equal(C.weightDigests(c.block_hash, c.params, 1).targetSha256, c.target.sha256_f64_le, 'the host model holds it');
  });
}

// docs/poc-compute.md §8b: a realistic PARAMS_V2 job (numpy 2.4.6 values).
const H = '005C2E3978768692556A88912DD0C44BA49F87001C41E815C1C010AEF25EFF56';
const PK = '02b84b25628f800e36925811aa24aaf28c9f827333d2df990762b5c3a86eff7c9b';
const V2 = { dim: 1792, n_layers: 64, n_heads: 64, n_kv_heads: 64, vocab_size: 8196, ffn_dim_multiplier: 10,
  multiple_of: 8192, rope_theta: 10000, seq_len: 256 };

t.test('§8b input seed of nonce 0: entropy, SeedSequence pool, generate_state, PCG64 state', async (t) => {
  const i = C.seedInfo(`${H}_${PK}_nonce0`, 4);
  t.same(i.entropy.slice(0, 8).map((w: number) => w.toString(16).padStart(8, '0')),
    '1b3c9337 da471aa2 f95d92d5 e0a92ca4 16ee4eb1 646b98fa a8d9ced8 bbfa7eee'.split(' '));
  t.same(i.pool.map((w: number) => w.toString(16).padStart(8, '0')), 'a7af6fcb dd58433e e46f9aa3 9c73d591'.split(' '));
  t.same(i.stateU64, ['0xb2f536563c60b346', '0xa45e1a4ec4afc429', '0xa72266218b926ec4', '0x41ccef8c8336c400']);
  t.equal(i.pcgState, '0xa807870c2052e7d23593394fb3fb6b53');
  t.equal(i.pcgInc, '0x4e44cc431724dd888399df19066d8801');
});

t.test('§8b V2 input of nonce 0 (256 x 1792): first and last values, fp16 via float32', async (t) => {
  const z: Float64Array = C.standardNormal(`${H}_${PK}_nonce0`, 4, 256 * 1792);
  t.same(Array.from(z.subarray(0, 4)), [0.21335317735090234, -0.6700980853162289, -1.6204897971857974, 0.9614563219721161]);
  t.same(Array.from(z.subarray(-4)), [-1.3192033192102544, -2.313401153964788, -0.2221274103462564, 1.4839439002905173]);
  const x: Uint16Array = C.nonceInput(H, PK, 0, 256, 1792);
  t.same(Array.from(C.halfToFloat(x.subarray(0, 4)) as Float32Array), [0.21337890625, -0.669921875, -1.6201171875, 0.96142578125]);
  t.equal(sha256(x), sha256(C.f16Torch(z)), 'nonce_input = torch fp16 of all 458,752 normals');
});

t.test('§8b permutation (vocab 8196) and target of the V2 job', async (t) => {
  const p: Int32Array = C.noncePermutation(H, PK, 0, 8196);
  t.same(Array.from(p.subarray(0, 10)), [3901, 1956, 5877, 6556, 547, 2092, 2080, 1613, 2895, 2346]);
  t.same(Array.from(p.subarray(-5)), [2270, 482, 4764, 231, 2087]);
  const u: Float64Array = C.unitTarget(H, 8196).unit;
  t.same(Array.from(u.subarray(0, 4)), [-0.005010752655176675, -0.0018142930395202443, -0.007539393108680399, 0.0017745759565879248]);
  t.equal(C.pairwiseSum(u), -1.0365030827559398, 'np.sum of the target');
});

t.test('§8b V2 pool: size, first values and the name-hash/start table, without generating the pool', async (t) => {
  const pl = C.placements(H, V2);
  t.equal(pl.poolSize, 888156147);
  t.same(Array.from(C.normal(H, 4, 0.0, 0.02, 6) as Float64Array), [-0.013806446586936203, -0.0200009795890225,
    -0.008639181180631826, 0.004018476055877825, 0.01637445823536441, 0.02239242462424058]);
  const pool: Uint16Array = C.poolPrefix(H, 6);
  t.same(Array.from(pool), Array.from(C.f16FromF32(C.normalF32(H, 4, 0.0, 0.02, 6, 1)) as Uint16Array), 'fp16 pool prefix');
  const want: [string, string, number][] = [
    ['tok_embeddings.weight', 'b8185d99', 468197821], ['layers.0.attention.wq.weight', 'db55f439', 140063849],
    ['layers.0.feed_forward.w1.weight', '24eddbdc', 619568092], ['layers.0.attention_norm.weight', 'ed902eaf', 433031903],
    ['norm.weight', 'f2a7ba02', 518460978], ['output.weight', '85f79a3c', 500658772]];
  for (const [name, key, start] of want) {
    const p = pl.params.find((q: { name: string }) => q.name === name);
    t.same({ key: p.key, start: p.start, sliced: p.sliced }, { key, start, sliced: true }, name);
  }
  t.ok(pl.params.every((p: { sliced: boolean }) => p.sliced), 'every V2 parameter is a slice of the pool');
});
