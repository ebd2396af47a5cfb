#!/usr/bin/env bash
# Sourced by the run-*.sh scripts THERE (on the GPU machine): records the machine, unpacks node, builds the addon.
# After it: $NODE runs node, LLAMA_GPU_BENCH_ADDON points at the CUDA build, $OUT/build.log has the build.
set -uo pipefail
: "${OUT:?OUT is set by the device tool}"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader \
  > "$OUT/nvidia-smi.txt" 2>&1
cat "$OUT/nvidia-smi.txt"
mkdir -p /tmp/node/bin
xz -dc .gpu/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export NODE=/tmp/node/bin/node
[ -d node_modules/node-addon-api ] || tar -xf .gpu/node_modules.tar
echo "node $($NODE --version); $(nvcc --version | tail -1); $(cmake --version | head -1)"
ls /usr/local/cuda/include/cublasLt.h /usr/local/cuda/lib64/libcublasLt.so* 2>&1 | head -3
t0=$(date +%s)
if ! { cmake -S addon -B build -G Ninja -DLLAMA_GPU_CUDA=ON -DLLAMA_GPU_CUDA_ARCHS=${ARCHS:-90} \
       && cmake --build build -j16; } > "$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log"
  echo "BUILD FAILED"
  exit 1
fi
echo "build: $(( $(date +%s) - t0 )) s"
export LLAMA_GPU_BENCH_ADDON=$PWD/build/llama_gpu_bench.node
export UV_THREADPOOL_SIZE=32
