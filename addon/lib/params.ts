// A job's `params` object (docs/poc-compute.md §2): defaults, validation with field-named errors, presets, costs.
import { ParamsError } from './errors.js';
import type { ModelParams } from './types.js';

/** The reference's defaults for absent keys. */
export const DEFAULT_PARAMS: Readonly<ModelParams> = Object.freeze({
  dim: 2048,
  n_layers: 16,
  n_heads: 16,
  n_kv_heads: 16,
  vocab_size: 8192,
  ffn_dim_multiplier: 1.3,
  multiple_of: 1024,
  norm_eps: 1e-5,
  rope_theta: 500000.0,
  use_scaled_rope: false,
  seq_len: 16,
});

export const PRESETS = Object.freeze({
  tiny: Object.freeze({ ...DEFAULT_PARAMS, dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 97,
    ffn_dim_multiplier: 1.3, multiple_of: 32, seq_len: 8 }),
  v1: Object.freeze({ ...DEFAULT_PARAMS, dim: 1024, n_layers: 32, n_heads: 32, n_kv_heads: 32, vocab_size: 8196,
    ffn_dim_multiplier: 10.0, multiple_of: 2048, rope_theta: 10000.0, seq_len: 128 }),
  v2: Object.freeze({ ...DEFAULT_PARAMS, dim: 1792, n_layers: 64, n_heads: 64, n_kv_heads: 64, vocab_size: 8196,
    ffn_dim_multiplier: 10.0, multiple_of: 8192, rope_theta: 10000.0, seq_len: 256 }),
}) satisfies Record<string, Readonly<ModelParams>>;
export type PresetName = keyof typeof PRESETS;

/** A realistic job (docs/poc-compute.md §8b: a chain-shaped block hash and compressed public key) and the live
 *  network's r_target (about 2% of PARAMS_V2 nonces valid): the default of benchmarks, checks and the demo. */
export const SAMPLE_JOB = Object.freeze({
  blockHash: '005C2E3978768692556A88912DD0C44BA49F87001C41E815C1C010AEF25EFF56',
  publicKey: '02b84b25628f800e36925811aa24aaf28c9f827333d2df990762b5c3a86eff7c9b',
  mainnetRTarget: 1.398077,
});

const INT_FIELDS = ['dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'multiple_of', 'seq_len'] as const;
const FLOAT_FIELDS = ['ffn_dim_multiplier', 'norm_eps', 'rope_theta'] as const;
// Bounds that keep every size inside int32 indexing and host memory; far above any network shape.
const INT_MAX: Record<(typeof INT_FIELDS)[number], number> = {
  dim: 65536, n_layers: 4096, n_heads: 4096, n_kv_heads: 4096, vocab_size: 1 << 24, multiple_of: 1 << 20,
  seq_len: 65536,
};

/** Validates a job's params: absent keys take the defaults; integral numbers are fine for float fields. */
export function parseParams(input: unknown): ModelParams {
  if (input === undefined || input === null) return { ...DEFAULT_PARAMS };
  if (typeof input !== 'object' || Array.isArray(input)) throw new ParamsError('params', 'must be an object');
  const src = input as Record<string, unknown>;
  const known = new Set<string>([...INT_FIELDS, ...FLOAT_FIELDS, 'use_scaled_rope', 'use_fp8']);
  for (const key of Object.keys(src)) if (!known.has(key)) throw new ParamsError(key, 'unknown parameter');
  if (src.use_fp8 !== undefined && src.use_fp8 !== false) {
    throw new ParamsError('use_fp8', 'only false is supported (the fp8 path is not what validators recompute)');
  }
  const out: ModelParams = { ...DEFAULT_PARAMS };
  for (const f of INT_FIELDS) {
    const v = src[f];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParamsError(f, 'must be a number');
    if (!Number.isInteger(v)) throw new ParamsError(f, 'must be an integer');
    if (v <= 0) throw new ParamsError(f, 'must be positive');
    if (v > INT_MAX[f]) throw new ParamsError(f, `must be at most ${INT_MAX[f]}`);
    out[f] = v;
  }
  for (const f of FLOAT_FIELDS) {
    const v = src[f];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParamsError(f, 'must be a finite number');
    if (v <= 0) throw new ParamsError(f, 'must be positive');
    out[f] = v;
  }
  if (src.use_scaled_rope !== undefined) {
    if (typeof src.use_scaled_rope !== 'boolean') throw new ParamsError('use_scaled_rope', 'must be a boolean');
    out.use_scaled_rope = src.use_scaled_rope;
  }
  if (out.dim % out.n_heads !== 0) throw new ParamsError('dim', `must be divisible by n_heads (${out.n_heads})`);
  if (out.n_heads % out.n_kv_heads !== 0) {
    throw new ParamsError('n_heads', `must be divisible by n_kv_heads (${out.n_kv_heads})`);
  }
  if ((out.dim / out.n_heads) % 2 !== 0) throw new ParamsError('dim', 'dim / n_heads (head_dim) must be even for RoPE');
  return out;
}

/** `--params` of the CLI: a preset name or a JSON params object. */
export function parseParamsArg(text: string): ModelParams {
  if (Object.hasOwn(PRESETS, text)) return { ...PRESETS[text as PresetName] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ParamsError('params', `not a preset (${Object.keys(PRESETS).join(', ')}) nor valid JSON: ${(err as Error).message}`);
  }
  return parseParams(parsed);
}

/** FFN hidden width, as the reference computes it (Python int() truncates toward zero). */
export function ffnHiddenDim(p: ModelParams): number {
  let h = Math.trunc((2 * (4 * p.dim)) / 3);
  h = Math.trunc(p.ffn_dim_multiplier * h);
  return p.multiple_of * Math.ceil(h / p.multiple_of);
}

/** Elements of every parameter, tok_embeddings included (docs/poc-compute.md §3). */
export function totalParams(p: ModelParams): number {
  const hd = p.dim / p.n_heads;
  const h = ffnHiddenDim(p);
  const attn = p.dim * (p.n_heads * hd) * 2 + p.dim * (p.n_kv_heads * hd) * 2;
  const perLayer = attn + 3 * p.dim * h + 2 * p.dim;
  return 2 * p.vocab_size * p.dim + p.n_layers * perLayer + p.dim;
}

/** FLOPs of one nonce with the last-position shortcut (docs/poc-compute.md §9): GEMMs + causal attention. */
export function flopsPerNonce(p: ModelParams): number {
  const hd = p.dim / p.n_heads;
  const h = ffnHiddenDim(p);
  const s = p.seq_len;
  const qkvo = p.dim * (p.n_heads * hd) * 2 + p.dim * (p.n_kv_heads * hd) * 2;
  const ffn = 3 * p.dim * h;
  const full = (p.n_layers - 1) * 2 * s * (qkvo + ffn);
  // Last layer: K and V for every position, Q, O and the FFN for the last position only.
  const kv = p.dim * (p.n_kv_heads * hd) * 2;
  const last = 2 * s * kv + 2 * (qkvo - kv + ffn);
  const attention = (p.n_layers - 1) * 2 * s * s * p.dim + 4 * s * p.dim; // causal half of 4·s²·dim
  const output = 2 * p.vocab_size * p.dim;
  return full + last + attention + output;
}
