// parseParams: the reference's defaults, Go clients' integral floats, and one field-named error per bad input.
import t from 'tap';
import { DEFAULT_PARAMS, ffnHiddenDim, flopsPerNonce, ParamsError, parseParams, parseParamsArg, PRESETS,
  totalParams } from '../lib/index.js';

t.test('absent keys take the reference defaults', async (t) => {
  t.same(parseParams({}), DEFAULT_PARAMS);
  t.same(parseParams(undefined), DEFAULT_PARAMS);
  t.equal(parseParams({ dim: 64, n_heads: 4, n_kv_heads: 4 }).n_layers, 16);
});

t.test('integral JSON numbers are accepted for float fields (Go clients send 10000 and 10)', async (t) => {
  const p = parseParams({ rope_theta: 10000, ffn_dim_multiplier: 10 });
  t.equal(p.rope_theta, 10000);
  t.equal(p.ffn_dim_multiplier, 10);
});

t.test('presets match the network shapes and the FFN width rule', async (t) => {
  t.equal(ffnHiddenDim(PRESETS.v1), 28672);
  t.equal(ffnHiddenDim(PRESETS.v2), 49152);
  t.equal(ffnHiddenDim(PRESETS.tiny), 224); // golden tiny-gqa ffn_hidden_dim
  t.equal(totalParams(PRESETS.tiny), 123328); // golden tiny-gqa total_params
  // docs/poc-compute.md §9: about 8.97 TFLOP per V2 nonce with the last-position shortcut.
  t.ok(Math.abs(flopsPerNonce(PRESETS.v2) / 1e12 - 8.96) < 0.02);
});

const bad: [string, unknown, string][] = [
  ['negative dim', { dim: -64 }, 'dim: must be positive'],
  ['zero seq_len', { seq_len: 0 }, 'seq_len: must be positive'],
  ['zero vocab', { vocab_size: 0 }, 'vocab_size: must be positive'],
  ['dim not divisible by heads', { dim: 100, n_heads: 3 }, 'dim: must be divisible by n_heads (3)'],
  ['heads not divisible by kv heads', { dim: 96, n_heads: 6, n_kv_heads: 4 }, 'n_heads: must be divisible by n_kv_heads (4)'],
  ['odd head_dim', { dim: 96, n_heads: 32, n_kv_heads: 32 }, 'dim: dim / n_heads (head_dim) must be even for RoPE'],
  ['a string for a number', { dim: '64' }, 'dim: must be a number'],
  ['a fraction for an integer', { n_layers: 2.5 }, 'n_layers: must be an integer'],
  ['NaN-like for a float', { norm_eps: null }, 'norm_eps: must be a finite number'],
  ['an unknown key', { dims: 64 }, 'dims: unknown parameter'],
  ['a non-boolean flag', { use_scaled_rope: 1 }, 'use_scaled_rope: must be a boolean'],
  ['fp8', { use_fp8: true }, 'use_fp8: only false is supported'],
  ['an absurd size', { dim: 1e9 }, 'dim: must be at most 65536'],
  ['an array', [1, 2], 'params: must be an object'],
];
for (const [what, input, message] of bad) {
  t.test(`rejects ${what} with a field-named error`, async (t) => {
    let caught: unknown;
    try {
      parseParams(input);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ParamsError, 'a ParamsError');
    t.match(caught, { code: 'ERR_INVALID_PARAMS', message: message });
  });
}

t.test('--params takes a preset name or JSON', async (t) => {
  t.same(parseParamsArg('v2'), PRESETS.v2);
  t.equal(parseParamsArg('{"dim": 128, "n_heads": 4, "n_kv_heads": 4}').dim, 128);
  t.throws(() => parseParamsArg('{nope'), /params: not a preset/);
});
