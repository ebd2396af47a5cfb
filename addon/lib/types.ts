// The Engine API's types: what the model server, the CLI and the benchmarks see of the native engine.
// The implementation is engine.ts (over the hand-typed binding in binding.ts).

export type Backend = 'cpu' | 'cuda';

/** A job's model shape (docs/poc-compute.md §2), every field present (parseParams fills the defaults). */
export interface ModelParams {
  dim: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  vocab_size: number;
  ffn_dim_multiplier: number;
  multiple_of: number;
  norm_eps: number;
  rope_theta: number;
  use_scaled_rope: boolean;
  seq_len: number;
}

export interface DeviceInfo {
  backend: Backend;
  /** Ordinal within the backend. */
  index: number;
  name: string;
  totalMemory: number;
  freeMemory: number;
  /** CPU: compute threads; CUDA: multiprocessors. */
  threads: number;
  /** CUDA: "sm_90"; CPU: "". */
  arch: string;
}

export interface BatchResult {
  /** Distance of each nonce, in the order given. */
  dist: Float64Array;
  /** (count, vocab) last-position logits as fp16 bit patterns, when asked for. */
  logits?: Uint16Array;
}

export interface NonceDetails {
  nonce: number;
  input_sha256: string;
  permutation_sha256: string;
}

export interface WeightDigest {
  name: string;
  shape: number[];
  sha256: string;
}
