// The test addon (build/Release/llama_gpu_bench_test.node, built by `npm ci` from addon/test/native/): the same
// engine as the product's, plus test-only exports — the core's determinism functions (`testing`), the CPU
// kernels' SIMD checks (`testingCpu`), and a gate in front of every device's batches (`testing.gate`). A test file
// imports this before the engine loads (nothing loads it at import time), and every engine in that process then
// runs on the test addon, through the product's one loader (LLAMA_GPU_BENCH_ADDON).
import path from 'node:path';
import { loadNative } from '../lib/native.js';

process.env.LLAMA_GPU_BENCH_ADDON ??= path.resolve(__dirname, '../../../build/Release/llama_gpu_bench_test.node');

/** The batch gate: hold() stops every batch that reaches a device until release(); entered(n) resolves once n
 *  batches in all have reached it (arrived() counts them). */
export interface Gate {
  hold(): void;
  release(): void;
  arrived(): number;
  entered(n: number): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function testing(): any {
  const native = loadNative();
  if (!native.testing) throw new Error(`${process.env.LLAMA_GPU_BENCH_ADDON} is not the test addon`);
  return native.testing;
}

export function gate(): Gate {
  return testing().gate as Gate;
}

