// Host memory a job takes: the model built on the host and, on the CPU backend, the device's tables and its first
// batch. Each term mirrors the native code that allocates it, so the guard (engine.ts) refuses what would not fit
// before anything is allocated. Measured peaks (scripts/src/measure-memory.ts, BENCHMARKS.md "Host memory of a CPU
// model build") are within 1% of the total for the mid and PARAMS_V1 shapes, and within 15% for tiny (about 4 MiB,
// where the process's own code pages and JS heap are a large part).
import os from 'node:os';
import { ffnHiddenDim, totalParams } from './params.js';
import type { Backend, ModelParams } from './types.js';

const MIB = 2 ** 20;

// cpu_device.cc: rows (nonces x positions) per GEMM the CPU device aims for.
const CPU_TARGET_ROWS = 512;
// normal_stream.h defaults: words per chunk, fewer values than min_parallel are made by one decoder.
const POOL_CHUNK_WORDS = 2 ** 19;
const POOL_MIN_PARALLEL = 2 ** 16;
// The addon's and the C++ runtime's code pages first run by a build and a batch (file-backed, counted in RSS: about
// 1 MiB), and what each compute thread touches of its stack and malloc arena. Measured on the tiny shape, where
// nothing else is large (RssFile and RssAnon before and after): constants, not a model of the native code.
const RUNTIME_BYTES = 1 * MIB;
const RUNTIME_BYTES_PER_THREAD = 64 * 1024;
// Each parameter's name, shape, placement and (empty) tiled vector in the host model's layout.
const LAYOUT_BYTES_PER_PARAM = 160;

export interface HostMemoryOptions {
  /** 'cpu': the model, the device's tables and its first batch. 'cuda' (the device's weights and scratch live on the
   *  GPU) and 'host' (a model built without a device, e.g. for its digests): the model alone. */
  backend: Backend | 'host';
  /** Compute threads, resolved (the engine's 0 means every core: pass the device's thread count). Also the threads
   *  that build the pool. */
  threads: number;
  /** Nonces per run() call of the caller (the model server sends min(preferredBatch, MAX_BATCH_SIZE)); the CPU
   *  forward runs at most the device's batch at a time. Default: the device's batch. */
  batch?: number;
  /** Bytes the CPU device will find available (MemAvailable) when it picks its batch. Default os.freemem(), which
   *  reads MemAvailable: it is taken before the model is built, so it is at least what the device sees after, and
   *  the batch computed here is at least the device's (the estimate errs high). */
  available?: number;
}

export interface HostMemoryEstimate {
  /** Peak bytes the job adds to the process: the larger of the build's and the first batch's peak, plus runtime. */
  total: number;
  /** The built model: fp16 pool, materialised parameters, target, RoPE tables, layout. */
  model: number;
  /** Buffers of the parallel pool generation, alive (with the pool) only while the model is built. */
  poolChunks: number;
  /** The build's peak: the pool and those buffers (they are freed before the materialised parameters are made). */
  build: number;
  /** CPU: the forward's float32 norm weights and RoPE tables. */
  tables: number;
  /** CPU: activations and GEMM/attention workspace of the batch the forward runs. */
  scratch: number;
  /** CPU: one run's per-nonce inputs and permutations, logits (fp16 and float32), distance temporaries. */
  inputs: number;
  /** Code pages, thread stacks and arenas (RUNTIME_BYTES). */
  runtime: number;
  /** CPU: the batch the device picks for the model (preferred_batch), and the nonces its forward runs at once. */
  deviceBatch: number;
  forwardBatch: number;
}

/** Host bytes a built model holds (core/model.cc build_host_model): the fp16 pool (pool_size = max(50000,
 *  int(5% of all parameters))), the parameters larger than the pool, materialised in fp16 (docs/poc-compute.md §4),
 *  the float64 target, the fp16 RoPE tables and the layout. */
export function hostModelBytes(p: ModelParams): number {
  const pool = poolSize(p);
  const hd = p.dim / p.n_heads;
  const h = ffnHiddenDim(p);
  const perLayer = [p.dim * p.n_heads * hd, p.dim * p.n_kv_heads * hd, p.dim * p.n_kv_heads * hd,
    p.dim * p.n_heads * hd, h * p.dim, h * p.dim, h * p.dim, p.dim, p.dim];
  const big = (n: number) => (n > pool ? n : 0);
  const tiled = 2 * big(p.vocab_size * p.dim) + big(p.dim) + p.n_layers * perLayer.reduce((a, n) => a + big(n), 0);
  const rope = 2 * (2 * p.seq_len) * (hd / 2) * 2; // cos and sin, (2*seq_len, head_dim/2) fp16
  const params = 3 + 9 * p.n_layers;
  return 2 * (pool + tiled) + 8 * p.vocab_size + rope + LAYOUT_BYTES_PER_PARAM * params;
}

/** Forward::scratch_bytes_for (cpu/forward.cc), the same integer arithmetic: activations (h, x, q, att, tmp; k, v;
 *  the FFN gate), the packed GEMM rows, the last positions, and per thread two GEMM accumulator blocks, two sets of
 *  weight panels and one attention row. Every thread's workspace counts; a thread that gets no work (more threads
 *  than cores, or GEMMs too narrow to share) never touches its own, so there the estimate runs high. */
export function cpuScratchBytes(p: ModelParams, batch: number, threads: number): number {
  const hd = p.dim / p.n_heads;
  const rows = batch * p.seq_len, kvd = p.n_kv_heads * hd, f = ffnHiddenDim(p);
  const packed = Math.trunc((rows + 5) / 6) * 6 * Math.max(p.dim, f);
  const perThread = Math.trunc((2 * (rows + 5)) / 6) * 6 * 64 + 2 * 4 * 256 * 16 + hd * p.seq_len + p.seq_len + hd;
  return 4 * (rows * (5 * p.dim + 2 * kvd + f) + packed + batch * p.dim + threads * perThread);
}

/** The CPU device's batch (cpu_device.cc load): enough rows to amortise weight conversion (512 / seq_len), halved
 *  while its scratch exceeds a quarter of the memory available. */
export function cpuDeviceBatch(p: ModelParams, threads: number, available: number): number {
  let batch = Math.max(1, Math.trunc(CPU_TARGET_ROWS / p.seq_len));
  while (batch > 1 && cpuScratchBytes(p, batch, threads) > available / 4) batch = Math.trunc(batch / 2);
  return batch;
}

/** Peak host bytes a job adds: building the model, then (CPU) loading it and running the first batch. */
export function estimateHostMemory(p: ModelParams, opts: HostMemoryOptions): HostMemoryEstimate {
  const threads = Math.max(1, opts.threads);
  const model = hostModelBytes(p);
  const poolChunks = poolChunkBytes(poolSize(p), threads);
  const runtime = RUNTIME_BYTES + RUNTIME_BYTES_PER_THREAD * threads;
  const build = 2 * poolSize(p) + poolChunks;
  if (opts.backend !== 'cpu') {
    return { total: Math.max(build, model) + runtime, model, poolChunks, build, tables: 0, scratch: 0, inputs: 0,
      runtime, deviceBatch: 0, forwardBatch: 0 };
  }
  const deviceBatch = cpuDeviceBatch(p, threads, opts.available ?? os.freemem());
  const n = Math.max(1, Math.min(opts.batch ?? deviceBatch, deviceBatch));
  const hd = p.dim / p.n_heads;
  // attn_norm, ffn_norm (n_layers, dim), final_norm (dim); cos, sin (2*seq_len, head_dim/2): float32.
  const tables = 4 * (2 * p.n_layers * p.dim + p.dim) + 2 * 4 * (2 * p.seq_len) * (hd / 2);
  // The output projection's float32 logits reuse the FFN gate's buffer, grown when n·vocab exceeds rows·hidden
  // (scratch_bytes_for leaves this out).
  const logitsGrowth = 4 * Math.max(0, n * p.vocab_size - n * p.seq_len * ffnHiddenDim(p));
  const scratch = cpuScratchBytes(p, n, threads) + logitsGrowth;
  // cpu_device.cc run: BatchInputs (fp16 inputs (n, seq_len, dim), int32 permutations (n, vocab)), fp16 and float32
  // logits (n, vocab), distances; distance_to_target's z, squares (float) and float64 differences (vocab) on each
  // thread at once.
  const inputs = n * (2 * p.seq_len * p.dim + 4 * p.vocab_size + 2 * p.vocab_size + 4 * p.vocab_size + 3 * 8) +
    Math.min(threads, n) * 16 * p.vocab_size;
  return { total: Math.max(build, model + tables + scratch + inputs) + runtime, model, poolChunks, build, tables,
    scratch, inputs, runtime, deviceBatch, forwardBatch: n };
}

function poolSize(p: ModelParams): number {
  return Math.max(50000, Math.trunc(totalParams(p) * 0.05));
}

/** normal_stream.cc run_stream: 4 chunks per thread, each holding up to chunk_words fp16 values and their int32
 *  start words, at most 2^25 words in flight; one decoder (no chunks) for short pools or one thread. */
function poolChunkBytes(count: number, threads: number): number {
  if (threads === 1 || count < POOL_MIN_PARALLEL) return 0;
  const perRound = 4 * threads;
  const want = Math.trunc((count + Math.trunc(count / 32) + 64 + perRound - 1) / perRound);
  const words = Math.max(1, Math.min(POOL_CHUNK_WORDS, want, Math.trunc(2 ** 25 / perRound)));
  return perRound * words * (2 + 4);
}
