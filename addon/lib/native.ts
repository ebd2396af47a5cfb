// The only place the compiled addon is required. LLAMA_GPU_BENCH_ADDON overrides the path (a build elsewhere).
import path from 'node:path';
import { EngineError } from './errors.js';
import type { NativeBinding } from './native-types.js';

// Every batch in flight holds a libuv worker thread (two per GPU: one computing, one preparing the next batch's
// inputs), so libuv's default pool of 4 would serialise more than two GPUs. libuv reads this when the pool first
// starts (the first asynchronous fs, dns or native call), which comes after this module is imported.
process.env.UV_THREADPOOL_SIZE ??= '32';

let cached: NativeBinding | undefined;

export function addonPath(): string {
  // Compiled to dist/addon/lib/native.js; the build lives at <root>/build/Release.
  return process.env.LLAMA_GPU_BENCH_ADDON ?? path.resolve(__dirname, '../../../build/Release/llama_gpu_bench.node');
}

export function loadNative(): NativeBinding {
  if (cached) return cached;
  const file = addonPath();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const native = require(file) as NativeBinding;
    native.setErrorClass(EngineError);
    cached = native;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(
      `llama-gpu-bench: cannot load the native engine at ${file} (${detail}). ` +
        'Build it with `npm ci` (or `npm run build:addon`) in the package root; a C++17 compiler and CMake are required.',
      { cause: err },
    );
  }
  return cached;
}
