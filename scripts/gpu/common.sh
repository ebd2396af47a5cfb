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

# The checks every GPU run starts with: each kernel against the CPU reference op, then the golden check.
kernel_and_golden_checks() {
  step kernel-check 60 build/lgb_cuda_kernel_check > "$OUT/kernel-check.json"; grep -v '"ok":true' "$OUT/kernel-check.json"
  step gpu-check-golden 120 $NODE dist/addon/test/gpu/gpu-check.js --golden-only --json "$OUT/gpu-check-golden.json" >/dev/null
  grep -E "gpu-check: (ok|FAIL|error|skipped)" "$LOG"
}

# The benches every speed call ends with (V2, V2 under a 24 GiB cap, V1), then CUDA against the CPU backend (the
# slowest step, last).
benches_then_cpu_check() {
  bench bench-v2 "$OUT/bench-v2.json" --params v2 --seconds 10
  clocks
  bench bench-v2-24gb "$OUT/bench-v2.json" --params v2 --seconds 10 --memory-limit-gb 24
  bench bench-v1 "$OUT/bench-v1.json" --params v1 --seconds 5
  grep -h -o '"cold_start_s":[0-9.]*\|"memory_peak_bytes":[0-9]*\|"percent_of_peak":[0-9.]*' "$OUT"/bench-v*.json | paste -sd' '
  step gpu-check-cpu 230 $NODE dist/addon/test/gpu/gpu-check.js --cpu-only --json "$OUT/gpu-check-cpu.json" >/dev/null
  grep -E "gpu-check: (ok|FAIL|error)" "$LOG" | tail -5
}
