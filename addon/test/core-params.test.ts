// The C++ side of the model shape (core/params.cc): ffn_hidden_dim as Python computes it (float64, int()
// truncation), named_parameters() order and shapes, and validate()'s one-line "field: reason" errors with
// code ERR_INVALID_PARAMS (the engine's defence behind addon/lib/params.ts).
import t from 'tap';
import { core, golden } from './core-helpers.js';

const C = core();
const BASE = { dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 97, ffn_dim_multiplier: 1.3, multiple_of: 32,
  norm_eps: 1e-5, rope_theta: 500000, use_scaled_rope: false, seq_len: 8 };

// [dim, ffn_dim_multiplier, multiple_of, expected] from Python: h = int(2*(4*dim)/3); h = int(m*h); round up.
const FFN: [number, number, number, number][] = [[64, 1.3, 1, 221],[64, 0.7, 1, 118],[64, 1.1, 1, 187],[64, 2.6, 32, 448],[64, 10, 8192, 8192],[64, 0.1, 256, 256],[96, 1.3, 1, 332],[96, 0.7, 1, 179],[96, 1.1, 1, 281],[96, 2.6, 32, 672],[96, 10, 8192, 8192],[96, 0.1, 256, 256],[112, 1.3, 1, 387],[112, 0.7, 1, 208],[112, 1.1, 1, 327],[112, 2.6, 32, 800],[112, 10, 8192, 8192],[112, 0.1, 256, 256],[1000, 1.3, 1, 3465],[1000, 0.7, 1, 1866],[1000, 1.1, 1, 2932],[1000, 2.6, 32, 6944],[1000, 10, 8192, 32768],[1000, 0.1, 256, 512],[1024, 1.3, 1, 3549],[1024, 0.7, 1, 1910],[1024, 1.1, 1, 3003],[1024, 2.6, 32, 7104],[1024, 10, 8192, 32768],[1024, 0.1, 256, 512],[1792, 1.3, 1, 6211],[1792, 0.7, 1, 3344],[1792, 1.1, 1, 5255],[1792, 2.6, 32, 12448],[1792, 10, 8192, 49152],[1792, 0.1, 256, 512],[4096, 1.3, 1, 14198],[4096, 0.7, 1, 7645],[4096, 1.1, 1, 12014],[4096, 2.6, 32, 28416],[4096, 10, 8192, 114688],[4096, 0.1, 256, 1280],[5120, 1.3, 1, 17748],[5120, 0.7, 1, 9557],[5120, 1.1, 1, 15018],[5120, 2.6, 32, 35520],[5120, 10, 8192, 139264],[5120, 0.1, 256, 1536],[8192, 1.3, 1, 28398],[8192, 0.7, 1, 15291],[8192, 1.1, 1, 24029],[8192, 2.6, 32, 56800],[8192, 10, 8192, 221184],[8192, 0.1, 256, 2304]];

t.test('ffn_hidden_dim matches Python\'s float64 arithmetic and int() truncation', async (t) => {
  for (const [dim, m, mo, want] of FFN) {
    const got = C.validateParams({ ...BASE, dim, n_heads: 1, n_kv_heads: 1, ffn_dim_multiplier: m, multiple_of: mo });
    t.equal(got.ffnHiddenDim, want, `dim ${dim}, multiplier ${m}, multiple_of ${mo}`);
  }
  const v1 = { ...BASE, dim: 1024, n_heads: 32, n_kv_heads: 32, ffn_dim_multiplier: 10, multiple_of: 2048 };
  const v2 = { ...BASE, dim: 1792, n_heads: 64, n_kv_heads: 64, ffn_dim_multiplier: 10, multiple_of: 8192 };
  t.equal(C.validateParams(v1).ffnHiddenDim, 28672, 'PARAMS_V1');
  t.equal(C.validateParams(v2).ffnHiddenDim, 49152, 'PARAMS_V2');
  t.equal(C.validateParams(v2).headDim, 28);
});

t.test('named_parameters(): the reference order, names and shapes', async (t) => {
  for (const c of golden('poc_public.json').cases) {
    const specs = C.namedParameters(c.params);
    t.same(specs.map((s: { name: string; shape: number[] }) => [s.name, s.shape]),
      c.weights.map((w: { name: string; shape: number[] }) => [w.name, w.shape]), c.name);
  }
  const v1 = golden('v1_weights.json').weights;
  const specs = C.namedParameters({ ...BASE, dim: 1024, n_layers: 32, n_heads: 32, n_kv_heads: 32, vocab_size: 8196,
    ffn_dim_multiplier: 10, multiple_of: 2048 });
  t.same(specs.map((s: { name: string; shape: number[] }) => [s.name, s.shape]),
    v1.map((w: { name: string; shape: number[] }) => [w.name, w.shape]), 'PARAMS_V1 (291 parameters)');
});

const BAD: [string, Record<string, number>, RegExp][] = [
  ['negative dim', { dim: -64 }, /^dim: must be positive/],
  ['zero layers', { n_layers: 0 }, /^n_layers: must be positive/],
  ['zero heads', { n_heads: 0 }, /^n_heads: must be positive/],
  ['zero kv heads', { n_kv_heads: 0 }, /^n_kv_heads: must be positive/],
  ['negative vocab', { vocab_size: -1 }, /^vocab_size: must be positive/],
  ['zero multiple_of', { multiple_of: 0 }, /^multiple_of: must be positive/],
  ['zero seq_len', { seq_len: 0 }, /^seq_len: must be positive/],
  ['dim not divisible by heads', { dim: 100, n_heads: 3, n_kv_heads: 1 }, /^dim: must be divisible by n_heads \(3\)/],
  ['heads not divisible by kv heads', { dim: 96, n_heads: 6, n_kv_heads: 4 }, /^n_heads: must be divisible by n_kv_heads \(4\)/],
  ['odd head_dim', { dim: 96, n_heads: 32, n_kv_heads: 32 }, /^dim: dim \/ n_heads \(head_dim\) must be even/],
  ['zero norm_eps', { norm_eps: 0 }, /^norm_eps: must be a finite number > 0/],
  ['NaN norm_eps', { norm_eps: NaN }, /^norm_eps: must be a finite number > 0/],
  ['infinite rope_theta', { rope_theta: Infinity }, /^rope_theta: must be a finite number > 0/],
  ['negative rope_theta', { rope_theta: -10000 }, /^rope_theta: must be a finite number > 0/],
  ['zero ffn multiplier', { ffn_dim_multiplier: 0 }, /^ffn_dim_multiplier: must be a finite number > 0/],
  ['an FFN width of 0', { ffn_dim_multiplier: 1e-9 }, /^ffn_dim_multiplier: gives an FFN width of 0/],
  ['an absurd FFN width', { ffn_dim_multiplier: 1e300 }, /^ffn_dim_multiplier: gives an FFN width above 2\^31/],
  ['an absurd dim', { dim: 2 ** 40, n_heads: 1, n_kv_heads: 1 }, /^dim: must be at most/],
  ['too many parameters', { dim: 1 << 20, n_heads: 1, n_kv_heads: 1, n_layers: 60000, ffn_dim_multiplier: 1 },
    /^n_layers: the model would have more than 2\^53 parameters/],
];

for (const [what, patch, re] of BAD) {
  t.test(`validate rejects ${what} with a field-named ERR_INVALID_PARAMS`, async (t) => {
    t.throws(() => C.validateParams({ ...BASE, ...patch }), { code: 'ERR_INVALID_PARAMS', message: re });
  });
}
