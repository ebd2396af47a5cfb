#!/usr/bin/env bash
# Sourced by the run-*.sh scripts THERE (on the GPU machine): records the machine, unpacks node, builds the addon
# and the two native check programs. After it: $NODE runs node, LLAMA_GPU_BENCH_ADDON points at the CUDA build, and
# $LOG (= $OUT/run.log) has the build output; every step appends its stderr there.
set -uo pipefail
: "${OUT:?OUT is set by the device tool}"
LOG=$OUT/run.log
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,power.limit --format=csv,noheader \
  > "$OUT/nvidia-smi.txt" 2>&1
cat "$OUT/nvidia-smi.txt"
mkdir -p /tmp/node/bin
xz -dc .gpu/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export NODE=/tmp/node/bin/node
[ -d node_modules/node-addon-api ] || tar -xf .gpu/node_modules.tar
{ echo "node $($NODE --version); $(nvcc --version | tail -1); $(cmake --version | head -1); $(nproc) cores"
  ls /usr/local/cuda/include/cublasLt.h /usr/local/cuda/lib64/libcublasLt.so* 2>&1 | head -3; } | tee -a "$LOG"
t0=$(date +%s)
if ! { cmake -S addon -B build -G Ninja -DLLAMA_GPU_CUDA=ON -DLLAMA_GPU_CUDA_ARCHS="${ARCHS:-90}" \
       && cmake --build build -j16 --target all lgb_cuda_kernel_check lgb_cuda_profile; } >> "$LOG" 2>&1; then
  grep -E "error|Error" "$LOG" | head -30
  tail -15 "$LOG"
  echo "BUILD FAILED"
  exit 1
fi
echo "build: $(( $(date +%s) - t0 )) s"
export LLAMA_GPU_BENCH_ADDON=$PWD/build/llama_gpu_bench.node
export UV_THREADPOOL_SIZE=32

# step NAME TIMEOUT_S CMD...: runs CMD with a time limit, its stderr to the log; says its exit code and time on
# stderr (the command's stdout is often redirected into a result file).
step() {
  local name=$1 limit=$2 t0 rc
  shift 2
  t0=$(date +%s)
  echo "=== $name" >> "$LOG"
  timeout "$limit" "$@" 2>> "$LOG"
  rc=$?
  echo "$name: exit $rc in $(( $(date +%s) - t0 )) s" >&2
  return $rc
}

# bench NAME FILE FLAGS...: `llama-gpu-bench bench --backend cuda` (median of 3 runs), one JSON line appended to FILE.
bench() {  # bench NAME FILE FLAGS...: one JSON line appended to FILE
  local name=$1 file=$2
  shift 2
  step "$name" 100 $NODE dist/scripts/src/cli.js bench --backend cuda --runs 3 --json "$@" >> "$file"
  grep -A1 "^device " "$LOG" | tail -1
}

# The SM and memory clocks, power draw, temperature and active throttle reasons, appended to the log.
clocks() { nvidia-smi --query-gpu=clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_throttle_reasons.active \
  --format=csv,noheader >> "$LOG" 2>&1; }
